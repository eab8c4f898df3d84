/* The page's settings for the map, from the json_script the view renders (id "map-config"). */

export const config = JSON.parse(document.getElementById("map-config").textContent);
export const urls = config.urls;

/** A measure's description (key, label, per_option); the first one for an unknown key. */
export function measureInfo(key) {
  return config.measures.find((m) => m.key === key) || config.measures[0];
}
