/* The page's own JSON under /map/api/ (session auth). */

const csrfToken = () => (document.querySelector("[name=csrfmiddlewaretoken]") || {}).value || "";

/** GET (or `options`) a JSON URL; a failure throws an Error with the server's message, status and body. */
export async function getJSON(url, options) {
  const response = await fetch(url, Object.assign({credentials: "same-origin",
                                                    headers: {Accept: "application/json"}}, options));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    // The site-wide API error format: {status, code, message, fields: {name: [messages]}}.
    const fieldMessages = Object.values(body.fields || {}).flat().join(" ");
    const detail = fieldMessages || body.message || response.statusText;
    throw Object.assign(new Error(detail), {status: response.status, body: body});
  }
  return body;
}

/** DELETE with the page's CSRF token. */
export function deleteJSON(url) {
  return getJSON(url, {method: "DELETE", headers: {"X-CSRFToken": csrfToken(), Accept: "application/json"}});
}

/** POST a JSON body with the page's CSRF token. */
export function postJSON(url, body) {
  return getJSON(url, {method: "POST", body: JSON.stringify(body),
                       headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(),
                                 Accept: "application/json"}});
}
