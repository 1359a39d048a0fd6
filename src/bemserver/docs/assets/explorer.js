// Starts Swagger UI on the OpenAPI document beside the page. Every URL is relative to the page,
// so the explorer also works when the API is mounted under a prefix.
"use strict";

window.addEventListener("load", function () {
  window.explorer = SwaggerUIBundle({
    url: new URL("api-spec.json", window.location.href).href,
    dom_id: "#explorer",
    deepLinking: false, // its links to our operation ids (with "_") log a console error on load
    persistAuthorization: true,
    displayRequestDuration: true,
    filter: true,
    tryItOutEnabled: false,
    validatorUrl: null, // the default badge would ask an outside validator service
  });
});
