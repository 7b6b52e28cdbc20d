/* Dateline search: the engine. It reads the index files written by generator/search.py
   (see its docstring for the format) and answers queries; search.js is the page around it.
   No DOM here, so node can load this file for the tests. */
(function (global) {
  "use strict";

  const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
  const DIGIT = new Int8Array(128).fill(-1);
  for (let i = 0; i < DIGITS.length; i++) DIGIT[DIGITS.charCodeAt(i)] = i;
  const WORD = /[\p{L}\p{N}\p{M}]+/gu;
  const ENGLISH = /^[a-z]+$/;
  // A word in the title outranks one in the summary, tags, countries or topics, which
  // outranks the body (by how often the body has it); recency breaks ties.
  const TITLE = 8;
  const META = 4;
  const BODY = [1, 1.5, 2, 2.5];
  const PREFIX = 0.75; // a completion of the word being typed weighs less than the word itself
  const MIN_PREFIX = 3; // shorter beginnings match too many words to be worth loading

  /* Numbers written by _encode: base-32 digits, continuation digits first; the first number as
     is, then each gap less one, with the low ``mask`` bits carried along. */
  function decode(text, mask, visit) {
    let base = 0;
    let pending = 0;
    for (let i = 0; i < text.length; i++) {
      const digit = DIGIT[text.charCodeAt(i)];
      if (digit >= 32) {
        pending = pending * 32 + digit - 32;
        continue;
      }
      const n = base + pending * 32 + digit;
      pending = 0;
      visit(n >>> (mask ? 2 : 0), n & mask);
      base = (n | mask) + 1;
    }
  }

  /* Splits and folds text exactly as generator/search.py does; its settings come from the index. */
  class Words {
    constructor(settings) {
      this.stopwords = new Set(settings.stopwords);
      this.folds = Object.entries(settings.folds);
      this.strip = new RegExp("[" + settings.strip + "]", "gu");
      this.maxTerm = settings.maxTerm;
    }

    fold(text) {
      let folded = text.toLowerCase().normalize("NFKD").replace(this.strip, "");
      for (const [letter, replacement] of this.folds) folded = folded.replaceAll(letter, replacement);
      return folded;
    }

    words(text) {
      return this.fold(text).match(WORD) || [];
    }

    stem(word) {
      if (word.length < 4 || !ENGLISH.test(word)) return word;
      if (word.endsWith("ies") && word.length > 4 && !"aeiou".includes(word[word.length - 4])) {
        return word.slice(0, -3) + "y";
      }
      if (word.endsWith("s") && !"suiy".includes(word[word.length - 2])) return word.slice(0, -1);
      return word;
    }

    /* The index term of a folded word, or "" for a word the index leaves out. */
    term(word) {
      if (this.stopwords.has(word)) return "";
      if (word.length > this.maxTerm && Array.from(word).length > this.maxTerm) return "";
      if (word.length === 1 && word < "\u0080") return "";
      return this.stem(word);
    }

    /* Query words: [{exact, prefixes}]. The last word, when the query does not end in a space
       or punctuation, is still being typed and also matches the terms it begins. */
    query(text) {
      const words = this.words(text);
      const typing = /[\p{L}\p{N}\p{M}]$/u.test(text);
      const seen = new Set();
      const tokens = [];
      words.forEach((word, i) => {
        const exact = this.term(word);
        let prefixes = [];
        if (typing && i === words.length - 1 && word.length >= MIN_PREFIX) {
          prefixes = [word, this.stem(word)];
          // "citi" and "citie" are on their way to "cities", indexed as "city"
          if (ENGLISH.test(word) && /ie?$/.test(word)) prefixes.push(word.replace(/ie?$/, "y"));
        }
        const key = exact + " " + prefixes.join(" ");
        if ((exact || prefixes.length) && !seen.has(key)) {
          seen.add(key);
          tokens.push({ exact, prefixes: [...new Set(prefixes)] });
        }
      });
      return tokens;
    }

    /* [[text, matched], ...]: the pieces of ``text``, words whose term is in ``terms`` marked. */
    highlight(text, terms) {
      const pieces = [];
      let last = 0;
      for (const match of text.matchAll(WORD)) {
        if (!this.words(match[0]).some((word) => terms.has(this.term(word)))) continue;
        if (match.index > last) pieces.push([text.slice(last, match.index), false]);
        pieces.push([match[0], true]);
        last = match.index + match[0].length;
      }
      if (last < text.length) pieces.push([text.slice(last), false]);
      return pieces;
    }
  }

  class Engine {
    /* ``index``: the data of search/index.js; ``load(name)``: a promise that the shard file
       ``name`` has run (and so handed its data to ``shards``). */
    constructor(index, load, shards) {
      this.index = index;
      this.count = index.count;
      this.words = new Words(index.text);
      this.load = load;
      this.shards = shards;
      this.firsts = index.terms.map((shard) => shard[0]);
      this.filters = new Map();
    }

    /* Which term shard holds ``term``: the last whose first term is not after it. */
    shardOf(term) {
      let low = 0;
      let high = this.firsts.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (this.firsts[middle] <= term) low = middle;
        else high = middle - 1;
      }
      return low;
    }

    async termShards(numbers) {
      const wanted = [...numbers].filter((n) => n < this.firsts.length); // none in an empty archive
      await Promise.all(wanted.map((n) => this.load(this.index.terms[n][1])));
      return wanted.map((n) => this.shards.terms.get(this.firsts[n]));
    }

    /* For each query word, the index terms it matches: [[term, postings, weight factor], ...]. */
    async expand(tokens) {
      const needed = new Set();
      for (const { exact, prefixes } of tokens) {
        if (exact) needed.add(this.shardOf(exact));
        for (const prefix of prefixes) {
          const last = this.shardOf(prefix + "\uffff");
          for (let n = this.shardOf(prefix); n <= last; n++) needed.add(n);
        }
      }
      const loaded = await this.termShards(needed);
      return tokens.map(({ exact, prefixes }) => {
        const found = new Map();
        for (const shard of loaded) {
          for (const prefix of prefixes) {
            let i = lowerBound(shard.terms, prefix);
            for (; i < shard.terms.length && shard.terms[i].startsWith(prefix); i++) {
              found.set(shard.terms[i], shard.postings[i]);
            }
          }
          const i = exact ? lowerBound(shard.terms, exact) : -1;
          if (i >= 0 && shard.terms[i] === exact) found.set(exact, shard.postings[i]);
        }
        return [...found].map(([term, postings]) => [term, postings, term === exact ? 1 : PREFIX]);
      });
    }

    /* A Uint8Array of the articles a filter (a country or topic slug, a year) allows, or null. */
    allowed(kind, value) {
      if (!value) return null;
      const key = kind + ":" + value;
      if (!this.filters.has(key)) {
        const set = new Uint8Array(this.count);
        const entry = this.index[kind].find((item) => item[0] === value);
        if (entry) decode(entry[2], 0, (doc) => (set[doc] = 1));
        this.filters.set(key, set);
      }
      return this.filters.get(key);
    }

    /* {docs: article numbers best first, terms: the index terms that matched, words: how many
       query words counted}. ``filters``: {countries, topics, year}, each "" for all. */
    async search(query, filters = {}) {
      const tokens = this.words.query(query);
      const sets = [
        this.allowed("countries", filters.countries),
        this.allowed("topics", filters.topics),
        this.allowed("years", filters.year),
      ].filter(Boolean);
      const passes = (doc) => sets.every((set) => set[doc]);
      if (!tokens.length) {
        const docs = [];
        // Article numbers run oldest first: the newest is listed first.
        if (sets.length) for (let doc = this.count - 1; doc >= 0; doc--) if (passes(doc)) docs.push(doc);
        return { docs, terms: new Set(), words: 0 };
      }
      const expanded = await this.expand(tokens);
      const n = this.count;
      const total = new Float64Array(n);
      const matched = new Uint8Array(n);
      const terms = new Set();
      const best = new Float32Array(3 * n); // per query word: best title, meta and body weight
      for (const matches of expanded) {
        best.fill(0);
        for (const [term, [body = "", title = "", meta = ""], factor] of matches) {
          terms.add(term);
          decode(body, 3, (doc, often) => {
            best[3 * doc + 2] = Math.max(best[3 * doc + 2], BODY[often] * factor);
          });
          decode(title, 0, (doc) => (best[3 * doc] = Math.max(best[3 * doc], TITLE * factor)));
          decode(meta, 0, (doc) => (best[3 * doc + 1] = Math.max(best[3 * doc + 1], META * factor)));
        }
        for (let doc = 0; doc < n; doc++) {
          const score = best[3 * doc] + best[3 * doc + 1] + best[3 * doc + 2];
          if (score > 0) {
            total[doc] += score;
            matched[doc]++;
          }
        }
      }
      const docs = [];
      for (let doc = 0; doc < n; doc++) if (matched[doc] === tokens.length && passes(doc)) docs.push(doc);
      // Article numbers run oldest first, so the higher number (the newer article) wins a tie.
      docs.sort((a, b) => total[b] - total[a] || b - a);
      return { docs, terms, words: tokens.length };
    }

    /* What the results show for ``docs``: [title, path, date, date label, summary, countries, topics]. */
    async rows(docs) {
      const size = this.index.chunk;
      const chunks = [...new Set(docs.map((doc) => Math.floor(doc / size)))];
      await Promise.all(chunks.map((c) => this.load(this.index.docs[c])));
      return docs.map((doc) => this.shards.docs.get(Math.floor(doc / size))[doc % size]);
    }
  }

  function lowerBound(sorted, value) {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (sorted[middle] < value) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /* The registry the index files call into: __datelineSearch.index(...), .terms(...), .docs(...). */
  const shards = { index: null, terms: new Map(), docs: new Map() };
  global.__datelineSearch = {
    index(data) {
      shards.index = data;
    },
    /* A term shard names itself by its first term, not its place: an edit that adds a shard
       leaves every other shard file as it was. */
    terms(terms, postings) {
      shards.terms.set(terms[0], { terms, postings });
    },
    docs(number, rows) {
      shards.docs.set(number, rows);
    },
  };

  const api = { Engine, Words, decode, shards };
  global.DatelineSearch = api;
  if (typeof module === "object" && module.exports) module.exports = api;
})(typeof window === "undefined" ? globalThis : window);
