import { runService } from '@sms/shared/service';
import { readConfig } from './config';
import { studentsService } from './service';

void runService(() => studentsService(readConfig()));
