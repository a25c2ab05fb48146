// movierec's page: plain JavaScript over the app's JSON API (webapp/web.py). No framework, no CDN.
"use strict";

const $ = (selector) => document.querySelector(selector);
const state = { tab: "known", userId: null, ratings: [], lastAction: null, searchTimer: null, active: -1 };

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { headers: { "Content-Type": "application/json" }, ...options });
  } catch (e) {
    throw { error: "The app is not answering (is `movierec app` still running?)", retry: true };
  }
  const doc = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw doc;
  return doc;
}

function text(tag, value, className) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (className) el.className = className;
  return el;
}

function showError(doc, retry) {
  $("#error-text").textContent = doc.error || String(doc);
  $("#retry").hidden = !(doc.retry || retry);
  $("#error").hidden = false;
}

function clearError() {
  $("#error").hidden = true;
}

// -- options and status ----------------------------------------------------------------------------
async function loadOptions() {
  const options = await api("/api/options");
  for (const age of options.ages) $("#age").append(new Option(age.label, age.value, false, age.value === 25));
  for (const g of options.genders) $("#gender").append(new Option(g.label, g.value));
  for (const o of options.occupations) $("#occupation").append(new Option(o, o, false, o === "other/not specified"));
  options.modes.forEach((mode, i) => {
    const label = document.createElement("label");
    const input = Object.assign(document.createElement("input"), { type: "radio", name: "mode", value: mode.value });
    input.checked = i === 0;
    input.addEventListener("change", () => rerun());
    label.append(input, mode.label);
    $("#modes").append(label);
  });
  $("#server-line").textContent = `${options.movies.toLocaleString()} movies, ${options.users.toLocaleString()} known users; model server ${options.server}`;
}

async function loadStatus() {
  try {
    const status = await api("/api/status");
    const shown = Object.entries(status.versions).map(([m, v]) => `${m} ${v.length ? "v" + v.join(", v") : "(not served)"}`);
    $("#server-line").textContent += ` — ${shown.join(" · ")}`;
  } catch (doc) {
    showError(doc, true);
    state.lastAction = loadStatus;
  }
}

// -- tabs --------------------------------------------------------------------------------------------
function selectTab(name) {
  state.tab = name;
  for (const tab of ["known", "new"]) {
    const selected = tab === name;
    $(`#tab-${tab}`).setAttribute("aria-selected", String(selected));
    $(`#tab-${tab}`).tabIndex = selected ? 0 : -1;
    $(`#panel-${tab}`).hidden = !selected;
  }
}

function tabKeys(event) {
  if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
    const next = state.tab === "known" ? "new" : "known";
    selectTab(next);
    $(`#tab-${next}`).focus();
  }
}

// -- a known user ------------------------------------------------------------------------------------
async function lookUp(event) {
  if (event) event.preventDefault();
  const id = $("#user-id").value.trim();
  state.lastAction = () => lookUp();
  clearError();
  try {
    const user = await api(`/api/users/${encodeURIComponent(id)}`);
    state.userId = user.user_id;
    const gender = { F: "female", M: "male" }[user.gender] || "gender not given";
    $("#user-summary").textContent =
      `User ${user.user_id}: ${gender}, ${user.age_label}, ${user.occupation}, zip ${user.zip || "not given"}; ${user.ratings} ratings.`;
    const body = $("#recent tbody");
    body.replaceChildren(...user.recent.map((m) => {
      const row = document.createElement("tr");
      row.append(text("td", m.title), text("td", m.year || ""), text("td", (m.genres || []).join(", "), "genres"),
                 text("td", `${"★".repeat(Math.round(m.stars))} ${m.stars}`, "num"));
      return row;
    }));
    $("#user-card").hidden = false;
    await recommend({ user_id: user.user_id });
  } catch (doc) {
    $("#user-card").hidden = true;
    showError(doc);
  }
}

// -- a new user --------------------------------------------------------------------------------------
function profile() {
  return {
    age: Number($("#age").value), gender: $("#gender").value, occupation: $("#occupation").value, zip: $("#zip").value.trim(),
  };
}

function newUserRequest() {
  return { profile: profile(), ratings: state.ratings.map((r) => ({ movie_id: r.movie_id, stars: r.stars })) };
}

function renderRated() {
  const body = $("#rated tbody");
  body.replaceChildren(...state.ratings.map((movie, i) => {
    const row = document.createElement("tr");
    const stars = document.createElement("select");
    stars.setAttribute("aria-label", `Stars for ${movie.title}`);
    for (let s = 5; s >= 1; s--) stars.append(new Option(`${"★".repeat(s)} ${s}`, s, false, s === movie.stars));
    stars.addEventListener("change", () => { movie.stars = Number(stars.value); recommend(newUserRequest()); });
    const remove = text("button", "Remove");
    remove.type = "button";
    remove.setAttribute("aria-label", `Remove ${movie.title}`);
    remove.addEventListener("click", () => { state.ratings.splice(i, 1); renderRated(); recommend(newUserRequest()); });
    const starsCell = document.createElement("td");
    starsCell.append(stars);
    const removeCell = document.createElement("td");
    removeCell.append(remove);
    row.append(text("td", `${movie.title}`), starsCell, removeCell);
    return row;
  }));
  $("#rated").hidden = state.ratings.length === 0;
}

function closeResults() {
  $("#search-results").hidden = true;
  $("#search").setAttribute("aria-expanded", "false");
  $("#search").removeAttribute("aria-activedescendant");
  state.active = -1;
}

function rate(movie) {
  if (!state.ratings.some((r) => r.movie_id === movie.movie_id)) state.ratings.push({ ...movie, stars: 4 });
  $("#search").value = "";
  $("#search-message").textContent = `Rated ${movie.title}: 4 stars (change it below).`;
  closeResults();
  renderRated();
  recommend(newUserRequest());
}

async function search() {
  const q = $("#search").value;
  if (q.trim().length < 2) { closeResults(); $("#search-message").textContent = ""; return; }
  try {
    const movies = await api(`/api/movies?q=${encodeURIComponent(q)}`);
    if (q !== $("#search").value) return;  // typed on meanwhile
    const list = $("#search-results");
    list.replaceChildren(...movies.map((m, i) => {
      const item = text("li", `${m.title}${m.genres.length ? " — " + m.genres.join(", ") : ""}`);
      Object.assign(item, { id: `movie-option-${i}` });
      item.setAttribute("role", "option");
      item.dataset.movieId = m.movie_id;
      item.addEventListener("mousedown", (e) => { e.preventDefault(); rate(m); });
      return item;
    }));
    list._movies = movies;
    list.hidden = movies.length === 0;
    $("#search").setAttribute("aria-expanded", String(movies.length > 0));
    $("#search-message").textContent = movies.length ? `${movies.length} matching movies` : `No movie matches "${q}".`;
    state.active = -1;
  } catch (doc) {
    $("#search-message").textContent = doc.error || "search failed";
  }
}

function searchKeys(event) {
  const list = $("#search-results");
  const items = [...list.children];
  if (list.hidden || !items.length) return;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    state.active = (state.active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    items.forEach((item, i) => item.setAttribute("aria-selected", String(i === state.active)));
    $("#search").setAttribute("aria-activedescendant", items[state.active].id);
  } else if (event.key === "Enter") {
    event.preventDefault();
    rate(list._movies[Math.max(state.active, 0)]);
  } else if (event.key === "Escape") {
    closeResults();
  }
}

// -- recommendations ---------------------------------------------------------------------------------
function rerun() {
  if (state.tab === "known" && state.userId) recommend({ user_id: state.userId });
  else if (state.tab === "new") recommend(newUserRequest());
}

async function recommend(request) {
  const mode = document.querySelector('input[name="mode"]:checked')?.value || "two_stage";
  const body = { ...request, mode, include_rated: $("#include-rated").checked };
  state.lastAction = () => recommend(request);
  clearError();
  $("#hint").hidden = true;
  try {
    const result = await api("/api/recommend", { method: "POST", body: JSON.stringify(body) });
    renderRecommendations(result);
  } catch (doc) {
    showError(doc);
  }
}

function renderRecommendations(result) {
  const body = $("#recommendations tbody");
  body.replaceChildren(...result.items.map((item, i) => {
    const row = document.createElement("tr");
    row.dataset.movieId = item.movie_id;
    const rating = item.predicted_rating === null ? "—" : item.predicted_rating.toFixed(2);
    row.append(text("td", i + 1, "num"), text("td", item.title), text("td", item.year || ""),
               text("td", item.genres.join(", "), "genres"), text("td", rating, "num"),
               text("td", item.retrieval_score.toFixed(3), "num"), text("td", item.reason ? item.reason.text : "", "why"));
    return row;
  }));
  $("#recommendations").hidden = false;
  const models = result.models.map((m) => `${m.name} ${m.versions.length ? "v" + m.versions.join(", v") : "(no version)"}`);
  $("#answered").textContent = `Answered by ${models.join(" and ")} in ${result.latency_ms} ms, from ${result.rated} rated movies.`;
}

// -- wiring ------------------------------------------------------------------------------------------
function init() {
  $("#tab-known").addEventListener("click", () => selectTab("known"));
  $("#tab-new").addEventListener("click", () => { selectTab("new"); recommend(newUserRequest()); });
  for (const tab of ["#tab-known", "#tab-new"]) $(tab).addEventListener("keydown", tabKeys);
  $("#known-form").addEventListener("submit", lookUp);
  $("#profile-form").addEventListener("change", () => recommend(newUserRequest()));
  $("#search").addEventListener("input", () => { clearTimeout(state.searchTimer); state.searchTimer = setTimeout(search, 120); });
  $("#search").addEventListener("keydown", searchKeys);
  $("#search").addEventListener("blur", () => setTimeout(closeResults, 100));
  $("#include-rated").addEventListener("change", rerun);
  $("#retry").addEventListener("click", () => { clearError(); if (state.lastAction) state.lastAction(); });
  loadOptions().then(loadStatus).catch((doc) => { showError(doc, true); state.lastAction = () => location.reload(); });
}

init();
