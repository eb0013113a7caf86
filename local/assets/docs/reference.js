// The interactive reference of the API the page is served by: its own OpenAPI document,
// tried against itself (the session cookie of a sign-up or sign-in is sent along).
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  withCredentials: true,
});
