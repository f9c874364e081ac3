import { runService } from '@sms/shared/service';
import { readConfig } from './config';
import { organizationsService } from './service';

void runService(() => organizationsService(readConfig()));
