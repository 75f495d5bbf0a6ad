//! The layer order of docs/ARCHITECTURE.md, checked on the code: every `use crate::…`,
//! `use super::…` and inline `crate::…`/`super::…` path of a file under src/ (test modules left
//! out) must point to a file of the same layer or a lower one, and no files may import each
//! other in a circle. A new file must be given its layer in [`LAYERS`].
//!
//! A `pub use` only hands names on (a module's face): it is not an import of its own; a name
//! taken through it counts as an import of the file that defines it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, lowest first: a file may import its own layer and the ones before it. Each entry
/// is a file (`model.rs`) or a folder (`store/`); the longest match wins.
const LAYERS: &[(&str, &[&str])] = &[
    // Plain types and mechanics that import nothing of the crate: periods and observations, the
    // documented limits, exit codes, atomic writes and the store lock, progress bars, and
    // `output::Table` (a leaf taking plain data, so any layer may return a table).
    (
        "ground",
        &[
            "model.rs",
            "limits.rs",
            "exit.rs",
            "fsutil.rs",
            "progress.rs",
            "output.rs",
            "parquet.rs",
        ],
    ),
    ("series", &["series/"]),
    ("store and ingest", &["store/", "ingest/"]),
    // Pure maths on slices and samples: AR, CCF, Granger, linear algebra, the Chinese
    // calendar, predictive distributions, scores and intervals; trade-term arithmetic.
    ("analysis kernels", &["analysis/", "trade/"]),
    (
        "analysis pipelines and forecast",
        &[
            "analysis/transform.rs",
            "analysis/lags.rs",
            "analysis/audit.rs",
            "forecast/",
            "freshness.rs",
        ],
    ),
    ("markets", &["markets/"]),
    ("backtest", &["backtest/"]),
    // Charts, CSV, the page, the run directory: plain data in, files out.
    ("report", &["report/"]),
    // Results turned into tables and chart data for `report` and `output`.
    ("presentation", &["present/"]),
    // The config file, read only by settings, which hands each area its checked section.
    ("settings", &["config.rs", "settings.rs"]),
    // `portcast run` as one library call: fetch, analyses, prices, backtest, the report.
    ("run pipeline", &["pipeline/"]),
    ("commands", &["commands/"]),
    ("cli", &["cli.rs"]),
];

/// Files that are no layer: the crate roots only declare modules or call the library.
const ROOTS: &[&str] = &["lib.rs", "main.rs"];

fn layer_of(file: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, usize, &'static str)> = None;
    for (i, (name, members)) in LAYERS.iter().enumerate() {
        for m in members.iter() {
            let hit = if m.ends_with('/') {
                file.starts_with(m)
            } else {
                file == *m
            };
            if hit && best.is_none_or(|(len, _, _)| m.len() > len) {
                best = Some((m.len(), i, name));
            }
        }
    }
    best.map(|(_, i, name)| (i, name))
}

struct Crate {
    /// Source of each file (test modules cut), by path under src/.
    files: BTreeMap<String, String>,
}

impl Crate {
    fn read() -> Crate {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut raw = BTreeMap::new();
        let mut stack = vec![src.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let rel = p
                        .strip_prefix(&src)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    raw.insert(rel, std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        // Files that are test modules (`#[cfg(test)] mod tests;`).
        let mut test_files = BTreeSet::new();
        for (rel, text) in &raw {
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            for w in lines.windows(2) {
                if w[0] == "#[cfg(test)]"
                    && let Some(name) = w[1].strip_prefix("mod ").and_then(|r| r.strip_suffix(';'))
                {
                    let mut m = module_path(rel);
                    m.push(name.to_string());
                    test_files.insert(m.join("/"));
                }
            }
        }
        let files = raw
            .into_iter()
            .filter(|(rel, _)| !test_files.contains(&module_path(rel).join("/")))
            .map(|(rel, text)| {
                let code = strip(&text);
                (rel, code)
            })
            .collect();
        Crate { files }
    }

    fn file_of(&self, module: &[String]) -> Option<String> {
        let base = module.join("/");
        [format!("{base}.rs"), format!("{base}/mod.rs")]
            .into_iter()
            .find(|c| self.files.contains_key(c))
    }

    /// A path as written in `file` made absolute (without `crate`), or None for another crate.
    fn absolute(&self, file: &str, segs: &[String]) -> Option<Vec<String>> {
        let here = module_path(file);
        let first = segs.first()?;
        match first.as_str() {
            "crate" => Some(segs[1..].to_vec()),
            "self" => Some([here, segs[1..].to_vec()].concat()),
            "super" => {
                let mut base = here;
                base.pop();
                let mut rest = &segs[1..];
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                Some([base, rest.to_vec()].concat())
            }
            _ => {
                let child = [here.clone(), vec![first.clone()]].concat();
                self.file_of(&child).map(|_| [here, segs.to_vec()].concat())
            }
        }
    }

    /// Names each file hands on with `pub use`: name → absolute path.
    fn faces(&self) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
        let mut out = BTreeMap::new();
        for (file, code) in &self.files {
            let mut names = BTreeMap::new();
            for (public, tree) in use_statements(code) {
                if !public {
                    continue;
                }
                for segs in expand(&tree) {
                    if let Some(abs) = self.absolute(file, &segs) {
                        names.insert(abs.last().unwrap().clone(), abs);
                    }
                }
            }
            out.insert(file.clone(), names);
        }
        out
    }

    /// The file that defines what an absolute path names (through faces).
    fn resolve(
        &self,
        faces: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
        path: &[String],
        depth: usize,
    ) -> Option<String> {
        for k in (1..=path.len()).rev() {
            if let Some(f) = self.file_of(&path[..k]) {
                if let Some(next) = path.get(k).and_then(|n| faces[&f].get(n))
                    && depth < 8
                    && let Some(r) = self.resolve(faces, next, depth + 1)
                {
                    return Some(r);
                }
                return Some(f);
            }
        }
        None
    }

    fn edges(&self) -> BTreeMap<String, BTreeSet<String>> {
        let faces = self.faces();
        let mut edges = BTreeMap::new();
        for (file, code) in &self.files {
            let mut to = BTreeSet::new();
            let mut paths = Vec::new();
            for (public, tree) in use_statements(code) {
                if !public {
                    paths.extend(expand(&tree));
                }
            }
            paths.extend(inline_paths(&without_uses(code)));
            for segs in paths {
                if let Some(abs) = self.absolute(file, &segs)
                    && let Some(target) = self.resolve(&faces, &abs, 0)
                    && target != *file
                {
                    to.insert(target);
                }
            }
            edges.insert(file.clone(), to);
        }
        edges
    }
}

fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code without comment lines and without `#[cfg(test)]` modules.
fn strip(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        if t == "#[cfg(test)]"
            && lines.get(i + 1).is_some_and(|n| {
                let n = n.trim();
                n.starts_with("mod ") && n.ends_with('{')
            })
        {
            let mut depth = 0i64;
            let mut j = i + 1;
            while j < lines.len() {
                depth +=
                    lines[j].matches('{').count() as i64 - lines[j].matches('}').count() as i64;
                if depth <= 0 {
                    break;
                }
                j += 1;
            }
            i = j + 1;
            continue;
        }
        if !t.starts_with("//") {
            out.push_str(lines[i]);
            out.push('\n');
        }
        i += 1;
    }
    out
}

/// Each `use` statement: (is it `pub`, its tree as written).
fn use_statements(code: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut lines = code.lines();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        let (public, rest) = if let Some(r) = t.strip_prefix("use ") {
            (false, r)
        } else if let Some(r) = t.strip_prefix("pub use ") {
            (true, r)
        } else if let Some(r) = t
            .strip_prefix("pub(crate) use ")
            .or(t.strip_prefix("pub(super) use "))
        {
            (true, r)
        } else {
            continue;
        };
        let mut tree = rest.to_string();
        while !tree.contains(';') {
            match lines.next() {
                Some(l) => tree.push_str(l),
                None => break,
            }
        }
        let tree = tree.split(';').next().unwrap().to_string();
        out.push((public, tree));
    }
    out
}

fn without_uses(code: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in code.lines() {
        let t = line.trim_start();
        if !skipping
            && (t.starts_with("use ")
                || t.starts_with("pub use ")
                || t.starts_with("pub(crate) use "))
        {
            skipping = !t.contains(';');
            continue;
        }
        if skipping {
            skipping = !line.contains(';');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `a::{b, c::{d, e as f}}` → `[a, b]`, `[a, c, d]`, `[a, c, e]`.
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    expand_in(&tree, &[])
}

fn expand_in(tree: &str, prefix: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for item in split_top(tree) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        if let Some(open) = item.find('{') {
            let mut pre = prefix.to_vec();
            pre.extend(segments(&item[..open]));
            let inner = &item[open + 1..item.rfind('}').unwrap()];
            out.extend(expand_in(inner, &pre));
        } else {
            let item = item.split(" as ").next().unwrap();
            let mut p = prefix.to_vec();
            p.extend(segments(item));
            if p.last().is_some_and(|s| s == "self" || s == "*") {
                p.pop();
            }
            out.push(p);
        }
    }
    out
}

fn segments(s: &str) -> Vec<String> {
    s.split("::")
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

fn split_top(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Inline `crate::a::b` and `super::a` paths.
fn inline_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for root in ["crate::", "super::"] {
        for (at, _) in code.match_indices(root) {
            let before = at.checked_sub(1).map(|b| bytes[b]);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':') {
                continue;
            }
            let rest = &code[at..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            out.push(segments(&rest[..end]));
        }
    }
    out
}

/// Files that import each other in a loop (strongly connected, more than one file).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Two files are in one circle when each reaches the other.
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(f) = todo.pop() {
            for t in edges.get(&f).into_iter().flatten() {
                if seen.insert(t.clone()) {
                    todo.push(t.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> =
        edges.keys().map(|f| (f, reach(f))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for f in edges.keys() {
        if done.contains(f) {
            continue;
        }
        let circle: Vec<String> = reached[f]
            .iter()
            .filter(|g| *g != f && reached[*g].contains(f))
            .cloned()
            .collect();
        if !circle.is_empty() {
            let mut all = circle;
            all.push(f.clone());
            all.sort();
            done.extend(all.iter().cloned());
            out.push(all);
        }
    }
    out
}

#[test]
fn imports_point_down_the_layers_and_never_in_a_circle() {
    let krate = Crate::read();
    let edges = krate.edges();
    let mut problems = Vec::new();
    for (from, targets) in &edges {
        if ROOTS.contains(&from.as_str()) {
            continue;
        }
        let Some((lf, nf)) = layer_of(from) else {
            problems.push(format!(
                "{from}: in no layer (add it to LAYERS and docs/ARCHITECTURE.md)"
            ));
            continue;
        };
        for to in targets {
            let Some((lt, nt)) = layer_of(to) else {
                continue;
            };
            if lt > lf {
                problems.push(format!("{from} ({nf}) imports {to} ({nt}), a higher layer"));
            }
        }
    }
    for c in circles(&edges) {
        problems.push(format!("import circle: {}", c.join(", ")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reader_sees_imports_faces_and_circles() {
    // The parser on small pieces (the real test above depends on it).
    assert_eq!(
        expand("crate::a::{b, c::{d, e as f}, self}"),
        vec![
            vec!["crate", "a", "b"],
            vec!["crate", "a", "c", "d"],
            vec!["crate", "a", "c", "e"],
            vec!["crate", "a"],
        ]
    );
    assert_eq!(
        inline_paths("let x = crate::store::Store::open(); super::y(); my_crate::z"),
        vec![vec!["crate", "store", "Store", "open"], vec!["super", "y"]]
    );
    let code = strip("use a;\n// use b;\n#[cfg(test)]\nmod tests {\n    use c;\n}\nfn f() {}\n");
    assert_eq!(code, "use a;\nfn f() {}\n");
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a.rs", vec!["b.rs"]),
        ("b.rs", vec!["c.rs"]),
        ("c.rs", vec!["a.rs"]),
        ("d.rs", vec!["a.rs"]),
    ]
    .into_iter()
    .map(|(f, t)| (f.to_string(), t.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(circles(&edges), vec![vec!["a.rs", "b.rs", "c.rs"]]);
    assert_eq!(
        layer_of("analysis/lags.rs").unwrap().1,
        "analysis pipelines and forecast"
    );
    assert_eq!(layer_of("analysis/ccf.rs").unwrap().1, "analysis kernels");
}
