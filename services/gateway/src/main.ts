import { runService } from '@sms/shared/service';
import { readConfig } from './config';
import { gatewayService } from './service';

void runService(() => gatewayService(readConfig()));
