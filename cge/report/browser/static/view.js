// cge view: browse a results file as ViewHAR does a HAR file (docs/view.md).
// Every label, name and description is put on the page with textContent or setAttribute,
// never parsed as HTML. Values come embedded in the page (a self-contained file) or from the
// local server (data/<name>.json); nothing else is ever requested.
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("cge-data").textContent);
  const INDEX = DATA.index;
  const EMBEDDED = DATA.values || null;
  const VARIABLES = new Map(INDEX.variables.map((v) => [v.name, v]));
  const SCENARIO = INDEX.scenario_dim;
  const cache = new Map();
  const $ = (id) => document.getElementById(id);

  const state = {
    name: null,
    rowDim: null,
    colDim: null,
    fixed: {}, // dim -> label index of a dim that is neither rows nor columns
    mode: "values", // values | difference | percent
    reference: INDEX.reference,
    groups: true,
    decimals: 3,
    sort: null, // {key: "label" | column position, dir: 1 | -1}
  };
  let current = null; // the view on the page: {variable, rows, cols, cells, ...}

  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value);
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  }

  // ------------------------------------------------------------------------------------ values
  async function loadValues(name) {
    if (cache.has(name)) return cache.get(name);
    let raw;
    if (EMBEDDED) {
      raw = EMBEDDED[name];
    } else {
      const response = await fetch("data/" + encodeURIComponent(name) + ".json", { cache: "no-store" });
      if (!response.ok) throw new Error(name + ": the server answered " + response.status);
      raw = await response.json();
    }
    const values = Float64Array.from(raw, (x) => (x === null ? NaN : Number(x)));
    cache.set(name, values);
    return values;
  }

  function strides(shape) {
    const out = new Array(shape.length);
    let step = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      out[i] = step;
      step *= shape[i];
    }
    return out;
  }

  function isGroup(dim, k) {
    return INDEX.dims[dim].group[k];
  }

  function shownLabels(dim) {
    const labels = INDEX.dims[dim].labels.map((_, k) => k);
    return state.groups ? labels : labels.filter((k) => !isGroup(dim, k));
  }

  // The effective comparison: "values" when the variable has no scenario dim or no % change.
  function effectiveMode(variable) {
    if (state.mode === "values" || !SCENARIO || !variable.dims.includes(SCENARIO)) return "values";
    if (state.mode === "percent" && variable.rule === "none") return "values";
    return state.mode;
  }

  function change(x, ref, rule, mode) {
    if (mode === "difference") return x - ref;
    if (rule === "level") return ref === 0 ? NaN : 100 * (x / ref - 1);
    const base = 1 + ref / 100; // rule "ratio": the change of the level behind two % changes
    return base === 0 ? NaN : 100 * ((1 + x / 100) / base - 1);
  }

  function computeView(variable, values) {
    const step = strides(variable.shape);
    const axis = Object.fromEntries(variable.dims.map((d, i) => [d, i]));
    const mode = effectiveMode(variable);
    let offset = 0;
    for (const dim of variable.dims) {
      if (dim !== state.rowDim && dim !== state.colDim) offset += state.fixed[dim] * step[axis[dim]];
    }
    const rows = state.rowDim ? shownLabels(state.rowDim) : [null];
    const cols = state.colDim ? shownLabels(state.colDim) : [null];
    const rowStep = state.rowDim ? step[axis[state.rowDim]] : 0;
    const colStep = state.colDim ? step[axis[state.colDim]] : 0;
    const scenarioStep = mode === "values" ? 0 : step[axis[SCENARIO]];
    const reference = mode === "values" ? 0 : INDEX.dims[SCENARIO].labels.indexOf(state.reference);
    const cells = rows.map((r) =>
      cols.map((c) => {
        const k = offset + (r === null ? 0 : r * rowStep) + (c === null ? 0 : c * colStep);
        if (mode === "values") return values[k];
        const s = SCENARIO === state.rowDim ? r : SCENARIO === state.colDim ? c : state.fixed[SCENARIO];
        return change(values[k], values[k + (reference - s) * scenarioStep], variable.rule, mode);
      })
    );
    return { variable, mode, rows, cols, cells };
  }

  // -------------------------------------------------------------------------------- formatting
  function formatNumber(x, decimals) {
    if (Number.isNaN(x)) return "";
    if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
    const text = Math.abs(x).toFixed(decimals);
    if (Number(text) === 0) return (0).toFixed(decimals);
    const [whole, fraction] = text.split(".");
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (x < 0 ? "-" : "") + grouped + (fraction === undefined ? "" : "." + fraction);
  }

  function label(dim, k) {
    return k === null ? "" : INDEX.dims[dim].labels[k];
  }

  function description(dim, k) {
    return k === null ? "" : INDEX.dims[dim].descriptions[label(dim, k)] || "";
  }

  function unitsShown(view) {
    const units = view.variable.units;
    if (view.mode === "percent") return "%";
    if (view.mode === "difference" && units === "percent") return "percentage points";
    return units;
  }

  function caption(view) {
    const v = view.variable;
    const what = { values: "", difference: " — difference from ", percent: " — % change from " }[view.mode];
    const fixed = v.dims
      .filter((d) => d !== state.rowDim && d !== state.colDim)
      .map((d) => d + " = " + label(d, state.fixed[d]) + (isGroup(d, state.fixed[d]) ? " (group)" : ""));
    const units = unitsShown(view);
    return (
      v.name +
      (what ? what + "'" + state.reference + "'" : "") +
      (units ? " [" + units + "]" : "") +
      (fixed.length ? "; " + fixed.join(", ") : "")
    );
  }

  // ----------------------------------------------------------------------------------- sorting
  function rowOrder(view) {
    const positions = view.rows.map((_, i) => i);
    const grouped = (i) => view.rows[i] !== null && isGroup(state.rowDim, view.rows[i]);
    if (!state.sort) return positions;
    const { key, dir } = state.sort;
    const byLabel = (a, b) => dir * label(state.rowDim, view.rows[a]).localeCompare(label(state.rowDim, view.rows[b]));
    const byValue = (a, b) => {
      const x = view.cells[a][key];
      const y = view.cells[b][key];
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
      if (Number.isNaN(y)) return -1;
      return dir * (x - y);
    };
    const compare = key === "label" ? byLabel : byValue;
    const members = positions.filter((i) => !grouped(i)).sort(compare);
    return members.concat(positions.filter(grouped).sort(compare)); // subtotals stay below the members
  }

  function sortButton(text, key) {
    const active = state.sort && state.sort.key === key;
    const arrow = active ? (state.sort.dir > 0 ? " \u25B2" : " \u25BC") : "";
    const button = el("button", { type: "button", text: text + arrow, title: "sort by " + text });
    button.addEventListener("click", () => {
      if (!active) state.sort = { key, dir: key === "label" ? 1 : -1 };
      else if (state.sort.dir === (key === "label" ? 1 : -1)) state.sort = { key, dir: -state.sort.dir };
      else state.sort = null;
      renderTable();
    });
    return button;
  }

  // -------------------------------------------------------------------------------- rendering
  function renderTable() {
    const view = current;
    if (!view) return;
    const decimals = state.decimals;
    $("caption").textContent = caption(view);
    const corner = (state.rowDim || "") + (state.colDim ? " \\ " + state.colDim : "");
    const head = el("tr", {}, [el("th", { scope: "col" }, [sortButton(corner || view.variable.name, "label")])]);
    view.cols.forEach((c, j) => {
      const text = c === null ? view.variable.name : label(state.colDim, c);
      const th = el("th", { scope: "col", title: description(state.colDim, c) }, [sortButton(text, j)]);
      if (c !== null && isGroup(state.colDim, c)) th.classList.add("group");
      head.appendChild(th);
    });
    $("grid").tHead.replaceChildren(head);
    const body = [];
    let firstGroup = true;
    for (const i of rowOrder(view)) {
      const r = view.rows[i];
      const grouped = r !== null && isGroup(state.rowDim, r);
      const tr = el("tr", { dataset: { label: label(state.rowDim, r) } });
      if (grouped && firstGroup && body.length) tr.classList.add("first-group");
      firstGroup = firstGroup && !grouped;
      const th = el("th", { scope: "row", text: r === null ? "" : label(state.rowDim, r), title: description(state.rowDim, r) });
      if (grouped) th.classList.add("group");
      tr.appendChild(th);
      view.cells[i].forEach((x, j) => {
        const td = el("td", { text: formatNumber(x, decimals), dataset: { value: Number.isNaN(x) ? "" : String(x) } });
        if (grouped || (view.cols[j] !== null && isGroup(state.colDim, view.cols[j]))) td.classList.add("group");
        tr.appendChild(td);
      });
      body.push(tr);
    }
    $("grid").tBodies[0].replaceChildren(...body);
  }

  function option(value, text, title) {
    return el("option", { value: String(value), text, title: title || "" });
  }

  function fillSelect(select, options, selected) {
    select.replaceChildren(...options);
    select.value = String(selected);
  }

  function renderControls(variable) {
    const dims = variable.dims;
    fillSelect($("row-dim"), dims.map((d) => option(d, d)), state.rowDim || "");
    $("row-dim").disabled = dims.length === 0;
    const columns = [option("", "(none)")].concat(dims.filter((d) => d !== state.rowDim).map((d) => option(d, d)));
    fillSelect($("col-dim"), columns, state.colDim || "");
    $("col-dim").disabled = dims.length < 2;
    const fixed = dims.filter((d) => d !== state.rowDim && d !== state.colDim).map((dim) => {
      const select = el("select", { dataset: { dim }, "aria-label": dim });
      const members = [];
      const groups = [];
      INDEX.dims[dim].labels.forEach((text, k) =>
        (isGroup(dim, k) ? groups : members).push(option(k, text, description(dim, k)))
      );
      const options = groups.length ? members.concat([el("optgroup", { label: "groups (subtotals)" }, groups)]) : members;
      fillSelect(select, options, state.fixed[dim]);
      select.addEventListener("change", () => {
        state.fixed[dim] = Number(select.value);
        update();
      });
      return el("label", { title: INDEX.dims[dim].long_name }, [document.createTextNode(dim + " "), select]);
    });
    $("fixed-dims").replaceChildren(...fixed);
    const comparable = Boolean(SCENARIO) && dims.includes(SCENARIO);
    $("mode").disabled = !comparable;
    $("mode").querySelector("option[value=percent]").disabled = variable.rule === "none";
    $("mode").value = state.mode;
    const scenarios = SCENARIO ? INDEX.dims[SCENARIO].labels : [];
    fillSelect($("reference"), scenarios.map((s) => option(s, s, INDEX.dims[SCENARIO].descriptions[s])), state.reference);
    $("reference").disabled = !comparable || state.mode === "values";
  }

  function renderInfo(variable) {
    const sizes = variable.dims.map((d, i) => d + " (" + variable.shape[i] + ")").join(" \u00D7 ") || "a scalar";
    const details = [
      variable.long_name,
      variable.units ? "units: " + variable.units : "",
      variable.gtap ? "GTAP: " + variable.gtap : "",
      "dims: " + sizes,
    ].filter(Boolean);
    $("variable-info").replaceChildren(el("h2", { text: variable.name }), el("p", { text: details.join(" · ") }));
    for (const button of document.querySelectorAll("#variable-list button")) {
      button.setAttribute("aria-current", String(button.dataset.name === variable.name));
    }
  }

  function message(text, isError) {
    $("message").textContent = text;
    $("message").classList.toggle("error", Boolean(isError));
  }

  // Rows and columns: keep the last choice when the new variable has those dims; else the
  // longest dims, scenario last among equals (a "subtotal" dim goes to the columns).
  function layout(variable) {
    const dims = variable.dims;
    const size = (d) => INDEX.dims[d].labels.length + (d === SCENARIO ? 0 : 0.5); // a tie: scenario is fixed
    const bySize = dims.slice().sort((a, b) => size(b) - size(a));
    let row = dims.includes(state.rowDim) ? state.rowDim : null;
    let col = dims.includes(state.colDim) && state.colDim !== row ? state.colDim : null;
    if (!col && dims.includes("subtotal") && row !== "subtotal") col = "subtotal";
    if (!row) row = bySize.find((d) => d !== col) || null;
    if (!col) col = bySize.find((d) => d !== row) || null;
    state.rowDim = row;
    state.colDim = col;
    for (const dim of dims) {
      if (state.fixed[dim] === undefined || state.fixed[dim] >= INDEX.dims[dim].labels.length) {
        const other = dim === SCENARIO ? INDEX.dims[dim].labels.findIndex((s) => s !== state.reference) : 0;
        state.fixed[dim] = Math.max(other, 0);
      }
    }
  }

  async function update() {
    document.body.dataset.busy = "1";
    try {
      const variable = VARIABLES.get(state.name);
      const values = await loadValues(variable.name);
      renderInfo(variable);
      renderControls(variable);
      current = computeView(variable, values);
      renderTable();
      const notes = [];
      if (state.mode !== "values" && current.mode === "values" && variable.dims.includes(SCENARIO || "")) {
        notes.push("% change is not defined for " + variable.name + " (not a level or a % change): values shown");
      } else if (state.mode !== "values" && current.mode === "values") {
        notes.push(variable.name + " has no scenario dim: values shown");
      }
      if (current.cells.some((row) => row.some(Number.isNaN))) notes.push("empty cells: not defined (e.g. no subtotal)");
      message(notes.join("; "));
      document.body.dataset.ready = "1";
    } catch (error) {
      message(String(error.message || error), true);
    } finally {
      document.body.dataset.busy = "0";
    }
  }

  function select(name) {
    state.name = name;
    state.sort = null;
    layout(VARIABLES.get(name));
    return update();
  }

  // ------------------------------------------------------------------------------- CSV export
  function csvField(text) {
    let s = String(text);
    if (/^[=+\-@\t\r]/.test(s)) s = "'" + s; // a label is never read as a spreadsheet formula
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function csvText(view) {
    const header = [state.rowDim || ""].concat(
      view.cols.map((c) => (c === null ? view.variable.name : label(state.colDim, c)))
    );
    const lines = [header.map(csvField).join(",")];
    for (const i of rowOrder(view)) {
      const values = view.cells[i].map((x) => (Number.isNaN(x) ? "" : String(x)));
      lines.push([csvField(label(state.rowDim, view.rows[i]))].concat(values).join(","));
    }
    return lines.join("\r\n") + "\r\n";
  }

  function exportCsv() {
    if (!current) return;
    const blob = new Blob([csvText(current)], { type: "text/csv;charset=utf-8" });
    const link = el("a", { href: URL.createObjectURL(blob), download: current.variable.name.replace(/[^\w.-]+/g, "_") + ".csv" });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  }

  // ---------------------------------------------------------------------------------- set-up
  function renderVariableList() {
    const items = INDEX.variables.map((v) => {
      const parts = [el("span", { class: "var-name", text: v.name })];
      if (v.gtap) parts.push(el("span", { class: "var-gtap", text: v.gtap, title: "GTAP name" }));
      if (v.long_name) parts.push(el("span", { class: "var-long", text: v.long_name }));
      if (v.units) parts.push(el("span", { class: "var-units", text: "[" + v.units + "]" }));
      const button = el("button", { type: "button", dataset: { name: v.name } }, parts);
      button.addEventListener("click", () => select(v.name));
      return el("li", { dataset: { search: [v.name, v.long_name, v.gtap].join(" ").toLowerCase() } }, [button]);
    });
    $("variable-list").replaceChildren(...items);
    $("filter").addEventListener("input", () => {
      const words = $("filter").value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const item of items) item.hidden = !words.every((w) => item.dataset.search.includes(w));
    });
  }

  function renderScenarios() {
    if (!SCENARIO) {
      $("scenarios").hidden = true;
      return;
    }
    const dim = INDEX.dims[SCENARIO];
    const rows = dim.labels.map((s) => el("tr", {}, [el("td", { text: s }), el("td", { text: dim.descriptions[s] || "" })]));
    $("scenario-table").tBodies[0].replaceChildren(...rows);
  }

  function start() {
    $("notes").textContent = INDEX.notes;
    renderVariableList();
    renderScenarios();
    $("row-dim").addEventListener("change", () => {
      const previous = state.rowDim;
      state.rowDim = $("row-dim").value;
      if (state.colDim === state.rowDim) state.colDim = previous;
      state.sort = null;
      update();
    });
    $("col-dim").addEventListener("change", () => {
      state.colDim = $("col-dim").value || null;
      state.sort = null;
      update();
    });
    $("mode").addEventListener("change", () => {
      state.mode = $("mode").value;
      update();
    });
    $("reference").addEventListener("change", () => {
      state.reference = $("reference").value;
      update();
    });
    $("groups").addEventListener("change", () => {
      state.groups = $("groups").checked;
      state.sort = null;
      update();
    });
    $("decimals").addEventListener("change", () => {
      const d = Math.round(Number($("decimals").value));
      state.decimals = Number.isFinite(d) ? Math.min(Math.max(d, 0), 8) : 3;
      $("decimals").value = String(state.decimals);
      renderTable();
    });
    $("export").addEventListener("click", exportCsv);
    if (INDEX.variables.length) select(INDEX.variables[0].name);
    else message("no numeric variable in the results", true);
  }

  start();
})();
