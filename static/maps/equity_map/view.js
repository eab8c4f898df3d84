/* What the map shows now, shared by the modules that change it. Each module keeps the rest of its
 * state to itself (geometry its shapes, unmet its layer, charts its charts). */

import {config} from "./config.js";

export const view = {
  map: null,
  choropleth: null,     // ChoroplethCanvas: one shape per locality of the shown run
  runId: config.run,
  run: null,            // the shown run's status and options
  measure: config.measure,
  option: config.option || "",
  values: null,         // the last measure payload: ids, values, legend
  selectedId: null,
  selectedCode: null,
  scenario: null,       // the open scenario (its detail), or null for the live catalogue
  scenarioView: "",     // "base", "scenario" or "difference" while a scenario is open
  picking: false,       // clicks on localities pick them for an outreach session
  placing: false,       // a click on the map places a new site
};
