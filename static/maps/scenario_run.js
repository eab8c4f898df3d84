// Progressive enhancement of a scenario page's run state: while the run is queued or running, poll its
// status and update the line as text; reload the page once it has finished. Without script the page's
// plain "Refresh" link does the same.

const ACTIVE = new Set(["queued", "running"]);
const POLL_MS = 3000;

function watchRun(state) {
  const url = state.dataset.statusUrl;
  if (!url || !ACTIVE.has(state.dataset.status)) {
    return;
  }
  const live = document.createElement("span");
  live.setAttribute("role", "status");
  live.className = "run-live";
  state.append(" ", live);
  const poll = async () => {
    try {
      const response = await fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"});
      if (response.ok) {
        const run = await response.json();
        if (!ACTIVE.has(run.status)) {
          window.location.reload();
          return;
        }
        live.textContent = `Now ${run.status}, ${run.progress}% done.`;
      }
    } catch {
      live.textContent = "Could not check the run just now; use Refresh.";
    }
    window.setTimeout(poll, POLL_MS);
  };
  window.setTimeout(poll, POLL_MS);
}

const state = document.getElementById("run-state");
if (state) {
  watchRun(state);
}
