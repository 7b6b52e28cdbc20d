/* Dateline search: the page. Loads search/index.js and the shards a query needs by inserting
   <script> elements (fetch is refused on file://), and shows results as the reader types.
   Archive text only ever reaches the page as text nodes, never parsed as HTML. */
(function () {
  "use strict";

  const PAGE = 20; // results shown at once; "Show more results" adds as many again
  const { Engine, shards } = window.DatelineSearch;
  const loading = new Map();

  function byId(id) {
    return document.getElementById(id);
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* A promise that the script at ``name`` (relative to the index) has run. */
  function loader(base) {
    return function load(name) {
      const url = new URL(name, base).href;
      if (!loading.has(url)) {
        loading.set(url, new Promise((resolve, reject) => {
          const script = document.createElement("script");
          script.src = url;
          script.addEventListener("load", () => resolve());
          script.addEventListener("error", () => {
            loading.delete(url); // let a later query try again
            script.remove();
            reject(new Error("could not load " + url));
          });
          document.head.append(script);
        }));
      }
      return loading.get(url);
    };
  }

  function start() {
    const form = byId("dl-search");
    if (!form) return;
    const input = byId("dl-search-q");
    const selects = {
      countries: byId("dl-search-country"),
      topics: byId("dl-search-topic"),
      year: byId("dl-search-year"),
    };
    const status = byId("dl-search-status");
    const list = byId("dl-search-results");
    const more = byId("dl-search-more");
    const root = form.dataset.root;
    const offline = form.dataset.links === "offline";
    const indexUrl = new URL(form.dataset.index, document.baseURI).href;
    const load = loader(indexUrl);
    let engine = null;
    let current = { docs: [], terms: new Set() };
    let shown = 0;
    let running = false;
    let again = false;
    let startedAt = 0;

    form.hidden = false;
    status.textContent = "Loading the search index…";

    function href(path) {
      const encoded = path.split("/").map(encodeURIComponent).join("/");
      return root + encoded + (offline && (path === "" || path.endsWith("/")) ? "index.html" : "");
    }

    function marked(parent, text) {
      for (const [piece, hit] of engine.words.highlight(text, current.terms)) {
        parent.append(hit ? element("mark", "", piece) : document.createTextNode(piece));
      }
    }

    function item([title, path, date, label, summary, countries, topics]) {
      const li = element("li", "search-result");
      const heading = element("h3", "card-title");
      const link = element("a");
      link.href = href(path);
      marked(link, title);
      heading.append(link);
      const meta = element("p", "meta");
      const time = element("time", "", label);
      time.dateTime = date;
      meta.append(time);
      if (countries.length) meta.append(element("span", "", countries.join(", ")));
      if (topics.length) meta.append(element("span", "", topics.join(", ")));
      li.append(heading, meta);
      if (summary) {
        const text = element("p", "card-summary");
        marked(text, summary);
        li.append(text);
      }
      return li;
    }

    async function showMore() {
      const docs = current.docs.slice(shown, shown + PAGE);
      const rows = await engine.rows(docs);
      const items = rows.map(item);
      list.append(...items);
      shown += items.length;
      more.hidden = shown >= current.docs.length;
      return items;
    }

    function describe(query, filtered) {
      const total = current.docs.length;
      if (!current.words && !filtered) {
        return query.trim() ? "Keep typing: words of two letters or more are searched." :
          `Type to search ${engine.count} article${engine.count === 1 ? "" : "s"}.`;
      }
      if (!total) return "No articles found.";
      const found = `${total} article${total === 1 ? "" : "s"} found`;
      return shown < total ? `${found}, showing the first ${shown}.` : `${found}.`;
    }

    /* The query and filters into the address, so that back, reload and a copied link keep them. */
    function remember(query, filters) {
      const params = new URLSearchParams(filters);
      if (query) params.set("q", query);
      try {
        history.replaceState(null, "", params.size ? "?" + params : location.pathname);
      } catch (error) {
        // some browsers refuse to change a file:// address; the search works all the same
      }
    }

    /* Run the latest query; a query typed meanwhile replaces one whose results are not shown yet. */
    async function run() {
      running = true;
      do {
        again = false;
        const began = startedAt;
        const query = input.value;
        const filters = Object.fromEntries(
          Object.entries(selects).filter(([, select]) => select.value).map(([name, select]) => [name, select.value]),
        );
        try {
          const result = await engine.search(query, filters);
          if (again) continue;
          current = result;
          shown = 0;
          list.replaceChildren();
          if (result.docs.length) await showMore();
          else more.hidden = true;
          status.textContent = describe(query, Object.keys(filters).length > 0);
          list.dataset.ms = (performance.now() - began).toFixed(1); // read by the browser tests
          list.dataset.query = query;
          list.dataset.filters = new URLSearchParams(filters).toString();
          remember(query, filters);
        } catch (error) {
          status.textContent = "Part of the search index could not be loaded. Reload the page to try again.";
        }
      } while (again);
      running = false;
    }

    function schedule(event) {
      startedAt = event && event.timeStamp ? event.timeStamp : performance.now();
      if (!engine) return;
      if (running) again = true;
      else run();
    }

    function fill(select, choices) {
      for (const [value, label, , n] of choices) select.append(new Option(`${label} (${n})`, value));
    }

    input.addEventListener("input", schedule);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && input.value) {
        input.value = "";
        schedule(event);
      }
    });
    for (const select of Object.values(selects)) select.addEventListener("change", schedule);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      schedule(event);
    });
    more.addEventListener("click", async () => {
      const items = await showMore();
      status.textContent = describe(input.value, true);
      if (items.length) items[0].querySelector("a").focus();
    });

    load(indexUrl).then(
      () => {
        const index = shards.index;
        engine = new Engine(index, load, shards);
        fill(selects.countries, index.countries);
        fill(selects.topics, index.topics);
        fill(selects.year, index.years);
        const params = new URLSearchParams(location.search);
        input.value = params.get("q") || input.value;
        for (const [name, select] of Object.entries(selects)) {
          const value = params.get(name);
          if (value && [...select.options].some((option) => option.value === value)) select.value = value;
        }
        form.dataset.ready = "true";
        schedule();
      },
      () => {
        status.textContent = "The search index could not be loaded.";
      },
    );
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
