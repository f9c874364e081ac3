import { decide } from './policy';

describe('the route policy', () => {
  it.each([
    ['GET', '/api/v1/students', 'member'],
    ['HEAD', '/api/v1/students/', 'member'],
    ['POST', '/api/v1/students', 'admin'],
    ['PATCH', '/api/v1/students/7', 'admin'],
    ['GET', '/api/v1/students/7/history', 'admin'],
    ['POST', '/api/v1/students/imports', 'admin'],
    ['GET', '/api/v1/students/imports', 'admin'],
    ['HEAD', '/api/v1/students/imports/', 'admin'],
    ['GET', '/api/v1/students/imports/abc', 'admin'],
    ['HEAD', '/.well-known/jwks.json', 'public'],
    ['PUT', '/api/v1/users/u1/password', 'admin'],
    ['POST', '/api/v1/organizations', 'public'],
  ])('routes %s %s as %s', (method, path, access) => {
    const decision = decide(method, path);
    expect(decision.kind === 'route' && decision.rule.access).toBe(access);
  });

  it.each([
    ['PUT', '/api/v1/students', 'GET, HEAD, POST'],
    ['OPTIONS', '/api/v1/students/7', 'DELETE, GET, HEAD, PATCH, PUT'],
    ['POST', '/api/v1/users/u1', 'DELETE, GET, HEAD, PATCH'],
    ['DELETE', '/api/v1/organizations', 'GET, HEAD, POST'],
    ['GET', '/api/v1/auth/login', 'POST'],
    // A literal route is not also `:id`: "imports" is no student id.
    ['PUT', '/api/v1/students/imports', 'GET, HEAD, POST'],
    ['DELETE', '/api/v1/students/imports/', 'GET, HEAD, POST'],
  ])('refuses %s %s with the route\'s own Allow: %s', (method, path, allow) => {
    expect(decide(method, path)).toEqual({ kind: 'method-not-allowed', allow });
  });

  it.each(['/api/v1/students/7/nothing', '/api/v1/students//history', '/api/v1/organizations/x/y', '/API/v1/students', '/internal/v1/organizations/x', '/api/v1/auth'])(
    'knows no %s',
    (path) => expect(decide('DELETE', path)).toEqual({ kind: 'not-found' }),
  );
});
