//! The community tree drawn as nested lists (main → managed): the groups
//! come level by level from the database; this puts them in reading order
//! (each group followed by the groups below it) and says, per group, which
//! list tags open and close around it, so the template stays flat.

use crate::models::Group;

/// One group of the tree, in reading order.
#[derive(Debug, Clone)]
pub struct TreeNode {
    pub group: Group,
    /// Levels below the top community.
    pub depth: usize,
    /// The page's own group.
    pub current: bool,
    /// A list of the groups below it opens after it (it has children).
    pub opens: bool,
    /// How many lists close after it (and its children): it is the last
    /// child of that many levels.
    pub closes: usize,
}

impl TreeNode {
    /// One turn per list closed after it, for the template's loop.
    pub fn closing(&self) -> std::ops::Range<usize> {
        0..self.closes
    }
}

/// The tree under the first group of `levels` (which must be the root at
/// depth 0, as `group_tree::subtree` gives it), keeping only the groups
/// `shown` allows and whose parent is kept.
pub fn build(
    levels: Vec<(Group, i32)>,
    current: i64,
    shown: impl Fn(&Group) -> bool,
) -> Vec<TreeNode> {
    // The root hidden: no tree (the caller may start lower).
    let Some(root) = levels.first().filter(|(g, _)| shown(g)).map(|(g, _)| g.id) else {
        return Vec::new();
    };
    let mut kept: Vec<(Group, usize)> = Vec::new();
    for (g, depth) in levels {
        let parent_kept = g.id == root || kept.iter().any(|(k, _)| Some(k.id) == g.parent_id);
        if parent_kept && shown(&g) {
            kept.push((g, depth.max(0) as usize));
        }
    }
    // Depth-first from the root; children already sorted by name.
    let mut order: Vec<(Group, usize)> = Vec::with_capacity(kept.len());
    let mut stack: Vec<usize> = vec![0];
    let mut taken = vec![false; kept.len()];
    while let Some(i) = stack.pop() {
        taken[i] = true;
        let id = kept[i].0.id;
        let children: Vec<usize> = (0..kept.len())
            .filter(|&j| !taken[j] && kept[j].0.parent_id == Some(id))
            .collect();
        stack.extend(children.into_iter().rev());
        order.push(kept[i].clone());
    }
    let depths: Vec<usize> = order.iter().map(|(_, d)| *d).collect();
    order
        .into_iter()
        .enumerate()
        .map(|(i, (group, depth))| {
            let next = depths.get(i + 1).copied();
            TreeNode {
                current: group.id == current,
                opens: next.is_some_and(|n| n > depth),
                closes: depth - next.unwrap_or(0).min(depth),
                group,
                depth,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: i64, parent: Option<i64>, name: &str) -> Group {
        let at = time::macros::datetime!(2026-12-05 10:00);
        Group {
            id,
            name: name.into(),
            name_key: name.to_lowercase(),
            slug: name.to_lowercase(),
            description: String::new(),
            join_method: "open".into(),
            audience: "internal".into(),
            parent_id: parent,
            created_by: 1,
            created_at: at,
            updated_at: at,
            account_id: None,
        }
    }

    #[test]
    fn a_hidden_root_hides_the_tree() {
        let levels = vec![(group(1, None, "Main"), 0), (group(2, Some(1), "A"), 1)];
        assert!(build(levels, 2, |g| g.name != "Main").is_empty());
    }

    #[test]
    fn reading_order_with_list_tags() {
        let levels = vec![
            (group(1, None, "Main"), 0),
            (group(2, Some(1), "A"), 1),
            (group(3, Some(1), "B"), 1),
            (group(4, Some(2), "A1"), 2),
            (group(5, Some(3), "Hidden"), 2),
        ];
        let tree = build(levels, 4, |g| g.name != "Hidden");
        let shape: Vec<_> = tree
            .iter()
            .map(|n| (n.group.name.as_str(), n.depth, n.opens, n.closes, n.current))
            .collect();
        assert_eq!(
            shape,
            [
                ("Main", 0, true, 0, false),
                ("A", 1, true, 0, false),
                ("A1", 2, false, 1, true),
                ("B", 1, false, 1, false),
            ]
        );
    }
}
