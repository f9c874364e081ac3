import { z } from 'zod';
import { baseEnvSchema, ConfigError, loadConfig, port } from './index';

const schema = baseEnvSchema.extend({ PORT: port(8000) });

describe('loadConfig', () => {
  it('gives safe development defaults for an empty environment', () => {
    const config = loadConfig(schema, {});
    expect(config).toMatchObject({ NODE_ENV: 'development', PORT: 8000, KAFKA_BROKERS: ['127.0.0.1:9092'] });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every bad variable at once, without echoing values', () => {
    const attempt = () => loadConfig(schema, { PORT: 'eighty', MONGO_URL: 'postgres://secret@x', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const problems = (err as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems.join('\n')).toMatch(/^PORT: /m);
      expect(problems.join('\n')).toMatch(/^MONGO_URL: must be a mongodb:\/\/ URL/m);
      expect((err as Error).message).not.toContain('secret@x');
    }
  });

  it('splits comma-separated broker lists', () => {
    expect(loadConfig(schema, { KAFKA_BROKERS: 'a:1, b:2' }).KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
  });

  describe('in production', () => {
    it('refuses to start with a development secret', () => {
      expect(() => loadConfig(schema, { NODE_ENV: 'production' })).toThrow(/INTERNAL_API_TOKEN: still holds its development default/);
    });

    it('starts with real secrets', () => {
      const withSecret = schema.extend({ JWT_SECRET: z.string().default('dev-only-x') });
      const config = loadConfig(withSecret, { NODE_ENV: 'production', INTERNAL_API_TOKEN: 'a-real-secret-of-enough-length', JWT_SECRET: 'real' });
      expect(config.NODE_ENV).toBe('production');
    });
  });
});
