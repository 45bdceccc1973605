//! The routing tree as the dispatcher uses it: each node's options resolved
//! from its ancestors (receiver, grouping, timers), its matchers folded
//! into one sorted list, and the matching rule (depth first; the first
//! matching child stops the search unless it has `continue`; a node none
//! of whose children match is itself the result). Also the ASCII tree
//! amtool prints for `config routes` and `config routes test --tree`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Duration;

use crate::config;
use crate::matcher::{LabelSet, Matchers};

/// The options a node applies to the alerts it routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteOpts {
    /// The receiver's name.
    pub receiver: String,
    /// Labels to group by.
    pub group_by: BTreeSet<String>,
    /// Group by every label (`...`).
    pub group_by_all: bool,
    /// Wait before the first notification of a new group (default 30s).
    pub group_wait: Duration,
    /// Wait between notifications of a changed group (default 5m).
    pub group_interval: Duration,
    /// Wait before repeating an unchanged notification (default 4h).
    pub repeat_interval: Duration,
    /// Intervals during which notifications are muted (not inherited).
    pub mute_time_intervals: Vec<String>,
    /// Intervals outside which notifications are muted (not inherited).
    pub active_time_intervals: Vec<String>,
}

impl Default for RouteOpts {
    fn default() -> Self {
        RouteOpts {
            receiver: String::new(),
            group_by: BTreeSet::new(),
            group_by_all: false,
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(300),
            repeat_interval: Duration::from_secs(4 * 3600),
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
        }
    }
}

/// A node of the routing tree.
#[derive(Debug, Clone)]
pub struct Route {
    /// Resolved options.
    pub opts: RouteOpts,
    /// Matchers an alert must satisfy.
    pub matchers: Matchers,
    /// Whether siblings are tried after this node matched.
    pub continue_: bool,
    /// Children.
    pub routes: Vec<Route>,
    /// `{}/{a="b"}/…`: the matchers of every ancestor and this node.
    pub key: String,
    /// [`Route::key`] plus the child index at every level, unique in the tree.
    pub id: String,
}

impl Route {
    /// Builds the tree from the configuration's root route.
    pub fn new(root: &config::Route) -> Route {
        Route::build(root, None, &RouteOpts::default())
    }

    fn build(
        cr: &config::Route,
        parent: Option<(&str, &str, usize)>,
        inherited: &RouteOpts,
    ) -> Route {
        let mut opts = inherited.clone();
        if !cr.receiver.is_empty() {
            opts.receiver = cr.receiver.clone();
        }
        if let Some(g) = &cr.group_by {
            let labels: BTreeSet<String> = g.iter().filter(|l| *l != "...").cloned().collect();
            if g.iter().any(|l| l == "...") && labels.is_empty() {
                opts.group_by_all = true;
            } else {
                opts.group_by = labels;
                opts.group_by_all = false;
            }
        }
        if let Some(d) = cr.group_wait {
            opts.group_wait = d.to_std();
        }
        if let Some(d) = cr.group_interval {
            opts.group_interval = d.to_std();
        }
        if let Some(d) = cr.repeat_interval {
            opts.repeat_interval = d.to_std();
        }
        opts.mute_time_intervals = cr.mute_time_intervals.clone();
        opts.active_time_intervals = cr.active_time_intervals.clone();
        let matchers = cr.all_matchers();
        let (key, id) = match parent {
            None => (matchers.to_string(), matchers.to_string()),
            Some((pkey, pid, idx)) => (
                format!("{pkey}/{matchers}"),
                format!("{pid}/{matchers}/{idx}"),
            ),
        };
        let routes = cr
            .routes
            .iter()
            .enumerate()
            .map(|(i, c)| Route::build(c, Some((&key, &id, i)), &opts))
            .collect();
        Route {
            opts,
            matchers,
            continue_: cr.continue_,
            routes,
            key,
            id,
        }
    }

    /// The nodes an alert with these labels is routed to, in tree order.
    pub fn match_labels(&self, labels: &LabelSet) -> Vec<&Route> {
        if !self.matchers.matches(labels) {
            return Vec::new();
        }
        let mut all = Vec::new();
        for child in &self.routes {
            let found = child.match_labels(labels);
            let matched = !found.is_empty();
            all.extend(found);
            if matched && !child.continue_ {
                break;
            }
        }
        if all.is_empty() {
            all.push(self);
        }
        all
    }

    /// Calls `f` on this node and every descendant, parents first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Route)) {
        f(self);
        for r in &self.routes {
            r.walk(f);
        }
    }

    fn slug(&self, show_continue: bool, show_receiver: bool) -> String {
        let mut s = if self.matchers.is_empty() {
            "default-route".to_string()
        } else {
            self.matchers.to_string()
        };
        if self.continue_ && show_continue {
            s.push_str("  continue: true");
        }
        if show_receiver {
            s.push_str("  receiver: ");
            s.push_str(&self.opts.receiver);
        }
        s
    }

    /// The whole tree as amtool's `config routes` draws it.
    pub fn render_tree(&self) -> String {
        let mut root = Node::new(".".into());
        root.children.push(self.tree_node());
        root.render()
    }

    fn tree_node(&self) -> Node {
        let mut n = Node::new(self.slug(true, true));
        n.children = self.routes.iter().map(Route::tree_node).collect();
        n
    }

    /// The nodes visited while routing `labels`, as amtool's
    /// `config routes test --tree` draws them (receivers on final nodes).
    pub fn render_matching_tree(&self, labels: &LabelSet) -> String {
        let mut root = Node::new(".".into());
        root.children.push(self.matching_node(labels));
        root.render()
    }

    fn matching_node(&self, labels: &LabelSet) -> Node {
        let mut n = Node::new(self.slug(false, false));
        for child in &self.routes {
            if child.matchers.matches(labels) {
                n.children.push(child.matching_node(labels));
                if !child.continue_ {
                    break;
                }
            }
        }
        if n.children.is_empty() {
            n.text = self.slug(false, true);
        }
        n
    }
}

/// A node of an ASCII tree drawn with box characters.
struct Node {
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn new(text: String) -> Node {
        Node {
            text,
            children: Vec::new(),
        }
    }

    fn render(&self) -> String {
        let mut out = format!("{}\n", self.text);
        self.render_children("", &mut out);
        out
    }

    fn render_children(&self, prefix: &str, out: &mut String) {
        let n = self.children.len();
        for (i, c) in self.children.iter().enumerate() {
            let last = i + 1 == n;
            let _ = writeln!(
                out,
                "{prefix}{}{}",
                if last { "└── " } else { "├── " },
                c.text
            );
            let next = format!("{prefix}{}", if last { "    " } else { "│   " });
            c.render_children(&next, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const CONF: &str = "
route:
  receiver: default
  group_by: [a]
  routes:
    - match_re:
        test: ^[12]$
      receiver: test1
      continue: true
      group_wait: 1s
      routes:
        - matchers: ['x=\"y\"']
          group_by: ['...']
    - match:
        test: 2
      receiver: test2
receivers:
  - name: default
  - name: test1
  - name: test2
";

    fn ls(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn matching_and_inheritance() {
        let cfg = Config::load(CONF).unwrap();
        let root = Route::new(cfg.route.as_ref().unwrap());
        let recv = |l: &[(&str, &str)]| {
            root.match_labels(&ls(l))
                .iter()
                .map(|r| r.opts.receiver.clone())
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(recv(&[("test", "2")]), "test1,test2");
        assert_eq!(recv(&[("test", "1")]), "test1");
        assert_eq!(recv(&[("test", "3")]), "default");
        let deep = root.match_labels(&ls(&[("test", "1"), ("x", "y")]));
        assert_eq!(deep.len(), 1);
        let r = deep[0];
        assert_eq!(r.opts.receiver, "test1");
        assert_eq!(r.opts.group_wait, Duration::from_secs(1));
        assert!(r.opts.group_by_all);
        assert_eq!(r.key, "{}/{test=~\"^(?:^[12]$)$\"}/{x=\"y\"}");
        assert_eq!(r.id, "{}/{test=~\"^(?:^[12]$)$\"}/0/{x=\"y\"}/0");
        assert_eq!(
            root.routes[1].opts.group_by,
            BTreeSet::from(["a".to_string()])
        );
    }

    #[test]
    fn trees() {
        let cfg = Config::load(CONF).unwrap();
        let root = Route::new(cfg.route.as_ref().unwrap());
        assert_eq!(
            root.render_tree(),
            ".\n└── default-route  receiver: default\n    \
             ├── {test=~\"^(?:^[12]$)$\"}  continue: true  receiver: test1\n    \
             │   └── {x=\"y\"}  receiver: test1\n    \
             └── {test=\"2\"}  receiver: test2\n"
        );
        assert_eq!(
            root.render_matching_tree(&ls(&[("test", "2")])),
            ".\n└── default-route\n    \
             ├── {test=~\"^(?:^[12]$)$\"}  receiver: test1\n    \
             └── {test=\"2\"}  receiver: test2\n"
        );
    }
}
