import type { Express, RequestHandler } from 'express';
import { MethodNotAllowedError, NotFoundError } from '../errors';

/** What this file reads of express 5's router (`router` 2.3): a layer matches a path without keeping state. */
interface RouterLayer {
  route?: { methods: Record<string, boolean | undefined> };
  handle: unknown;
  match(path: string): { path: string } | false;
}

const isRouter = (handle: unknown): handle is { stack: RouterLayer[] } =>
  typeof handle === 'function' && Array.isArray((handle as { stack?: unknown }).stack);

/** An `Allow` value (RFC 9110 §10.2.1) as express writes it: HEAD wherever GET is, in alphabetical order. */
export function allowHeader(methods: Iterable<string>): string {
  const set = new Set(methods);
  if (set.has('GET')) set.add('HEAD');
  return [...set].sort().join(', ');
}

/** The methods the routes of `stack` (and of the routers mounted in it) answer on `path`, by express's own matching. */
export function routeMethods(stack: readonly RouterLayer[], path: string): Set<string> {
  const methods = new Set<string>();
  for (const layer of stack) {
    const match = layer.match(path);
    if (!match) continue;
    if (layer.route) {
      for (const method of Object.keys(layer.route.methods)) if (method !== '_all') methods.add(method.toUpperCase());
    } else if (isRouter(layer.handle)) {
      const rest = path.slice(match.path.length);
      for (const method of routeMethods(layer.handle.stack, rest.startsWith('/') ? rest : `/${rest}`)) methods.add(method);
    }
  }
  return methods;
}

/**
 * After every route: a path no route answers is a 404; a path that routes answer with other methods
 * is a 405 with `Allow` (RFC 9110), and an OPTIONS on it a 200 with `Allow`, as express answers one
 * for the routes of a mounted router.
 */
export function unroutedRequest(app: Express): RequestHandler {
  return (req, res, next) => {
    const methods = routeMethods(app.router.stack as unknown as RouterLayer[], req.path);
    // A route of this method that passed the request on (or none on this path): nothing here for it.
    if (methods.size === 0 || methods.has(req.method) || (req.method === 'HEAD' && methods.has('GET'))) {
      next(new NotFoundError(`no route for ${req.method} ${req.path}`));
      return;
    }
    const allow = allowHeader(methods);
    res.setHeader('Allow', allow);
    if (req.method === 'OPTIONS') {
      res.type('text/plain').send(allow);
      return;
    }
    next(new MethodNotAllowedError(`${req.method} is not allowed on ${req.path}`));
  };
}
