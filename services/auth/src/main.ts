import { runService } from '@sms/shared/service';
import { readConfig } from './config';
import { authService } from './service';

void runService(() => authService(readConfig()));
