// ESLint for the pages' own JavaScript (make lint). Vendored libraries are not ours to lint.
import js from "@eslint/js";
import globals from "globals";

// What the vendored libraries put on window: Leaflet (django-leaflet), Chart.js, @mapbox/polyline.
const vendorGlobals = {L: "readonly", Chart: "readonly", polyline: "readonly"};

export default [
  {ignores: ["static/vendor/**", "node_modules/**", ".venv/**", "var/**"]},
  js.configs.recommended,
  {
    files: ["static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: {...globals.browser, ...vendorGlobals},
    },
    rules: {
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "always"],
      // Data reaches the page as text: no HTML parsing of strings.
      "no-restricted-properties": ["error",
        {property: "innerHTML", message: "Use textContent or el(): data must never be parsed as HTML."},
        {property: "outerHTML", message: "Use textContent or el(): data must never be parsed as HTML."},
        {property: "insertAdjacentHTML", message: "Use el(): data must never be parsed as HTML."},
      ],
      "no-restricted-syntax": ["error",
        {selector: "AssignmentExpression > MemberExpression.left[object.name='window']",
         message: "No window.* globals: export from an ES module instead."},
      ],
    },
  },
  {
    // Classic scripts: django-leaflet's start-up code and the callbacks it looks up on window by name.
    files: ["static/careplans/**/*.js", "static/choicemap/leaflet_maps.js"],
    languageOptions: {sourceType: "script"},
    rules: {"no-restricted-syntax": "off", "no-var": "off", eqeqeq: ["error", "always", {null: "ignore"}]},
  },
];
