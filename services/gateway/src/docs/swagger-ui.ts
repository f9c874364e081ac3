/**
 * Swagger UI at /docs/ from swagger-ui-dist's files. The gateway's CSP (helmet: `script-src 'self'`,
 * no inline script) holds: the page loads the bundle and a small initializer script, both from here,
 * and the initializer turns the validator badge off (it would load an image from swagger.io).
 */
import { dirname } from 'node:path';

/** Where swagger-ui-dist's files are (resolved without loading its 1.5 MB bundle into the gateway). */
export const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

/** The only files of swagger-ui-dist the gateway serves (its own index.html and initializer point at the petstore). */
export const SWAGGER_UI_ASSETS = new Set(['swagger-ui.css', 'index.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

export const INITIALIZER = 'swagger-initializer.js';

/** Relative URLs throughout, so the page works under any prefix a proxy puts in front of the gateway. */
export const DOCS_PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Student platform API</title>
    <link rel="stylesheet" type="text/css" href="./swagger-ui.css">
    <link rel="stylesheet" type="text/css" href="./index.css">
    <link rel="icon" type="image/png" href="./favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="./favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="./swagger-ui-bundle.js" charset="UTF-8"></script>
    <script src="./${INITIALIZER}" charset="UTF-8"></script>
  </body>
</html>
`;

export const INITIALIZER_SCRIPT = `'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: new URL('../openapi.json', window.location.href).href,
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'BaseLayout',
  });
});
`;
