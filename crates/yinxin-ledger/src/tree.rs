//! RFC 6962 / RFC 9162 §2.1 Merkle tree hashing, proofs and their verification (EVID-1). Pure:
//! no I/O. Proof generation is split in two so that storage reads stay O(log n): a *plan* names
//! the complete subtrees (stored nodes) a proof needs, the caller reads exactly those, and the
//! proof is then assembled from them.
//!
//! Every range of leaves that RFC 6962's recursion visits is either a complete subtree (a stored
//! node) or a subtree on the right edge of the tree, `[a, n)`; the hash of the latter is the
//! right fold of the complete subtrees it decomposes into (at most log₂ n of them), and a proof
//! has at most one such range per level. So an inclusion or consistency proof, and a root at any
//! size, needs at most 2·⌈log₂ n⌉ stored nodes — never a walk over the leaves.

use sha2::{Digest, Sha256};
use yinxin_domain::ledger::{NodeHash, NodeId};

/// `SHA-256()`: the root of the empty tree (RFC 9162 §2.1.1).
pub fn empty_root() -> NodeHash {
    Sha256::digest([]).into()
}

/// The leaf hash of `data`: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> NodeHash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &NodeHash, right: &NodeHash) -> NodeHash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (`n ≥ 2`): where RFC 6962 splits a range of `n`.
pub fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// A range of leaves `[begin, end)`, `begin < end`, as RFC 6962's recursion visits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// First leaf.
    pub begin: u64,
    /// One past the last leaf.
    pub end: u64,
}

impl Range {
    /// The complete subtrees this range is made of, left to right, largest first: one node for a
    /// complete subtree, up to log₂ of its size for a range on the tree's right edge.
    pub fn nodes(self) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut at = self.begin;
        while at < self.end {
            let remaining = self.end - at;
            // The largest power of two that fits in what remains and to which `at` is aligned.
            let mut size = 1u64 << (63 - remaining.leading_zeros());
            if at != 0 {
                size = size.min(1u64 << at.trailing_zeros());
            }
            let level = size.trailing_zeros();
            out.push(NodeId {
                level: u8::try_from(level).unwrap_or(u8::MAX),
                index: at >> level,
            });
            at += size;
        }
        out
    }
}

/// The hash of a range from the hashes of its [`Range::nodes`], in that order: the right fold
/// `H(n₀, H(n₁, … H(nₖ₋₁, nₖ)))`, which is RFC 6962's MTH of the range. `None` for no nodes.
pub fn fold(nodes: &[NodeHash]) -> Option<NodeHash> {
    let (last, rest) = nodes.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, n| node_hash(n, &acc)))
}

/// One step down RFC 6962's recursion over `[lo, hi)` (`hi - lo ≥ 2`), split at `k`: into the
/// first `k` leaves (`left`) or the rest; returns the part not entered — the sibling whose hash
/// the proof carries.
fn descend(lo: &mut u64, hi: &mut u64, k: u64, left: bool) -> Range {
    let mid = *lo + k;
    if left {
        let sibling = Range {
            begin: mid,
            end: *hi,
        };
        *hi = mid;
        sibling
    } else {
        let sibling = Range {
            begin: *lo,
            end: mid,
        };
        *lo = mid;
        sibling
    }
}

/// The ranges whose hashes make the inclusion proof of leaf `index` in a tree of `size` leaves,
/// in proof order (from the leaf up), RFC 9162 §2.1.3.1. The caller checks `index < size`.
pub fn inclusion_ranges(index: u64, size: u64) -> Vec<Range> {
    let mut out = Vec::new();
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let k = split(hi - lo);
        let left = index < lo + k;
        out.push(descend(&mut lo, &mut hi, k, left));
    }
    out.reverse();
    out
}

/// The ranges whose hashes make the consistency proof from size `from` to size `to`, in proof
/// order, RFC 9162 §2.1.4.1 (`SUBPROOF(m, D[n], true)`). The caller checks `0 < from ≤ to`.
pub fn consistency_ranges(from: u64, to: u64) -> Vec<Range> {
    let mut out = Vec::new();
    let (mut lo, mut hi) = (0u64, to);
    let mut m = from;
    let mut whole = true;
    while m < hi - lo {
        let k = split(hi - lo);
        let left = m <= k;
        out.push(descend(&mut lo, &mut hi, k, left));
        if !left {
            m -= k;
            whole = false;
        }
    }
    // m == hi - lo: the old tree's subtree itself, unless it is the whole old tree, which the
    // verifier already has as its root.
    if !whole {
        out.push(Range { begin: lo, end: hi });
    }
    out.reverse();
    out
}

/// The nodes a set of ranges needs, each once, in a stable order.
pub fn nodes_of(ranges: &[Range]) -> Vec<NodeId> {
    let mut ids: Vec<NodeId> = ranges.iter().flat_map(|r| r.nodes()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The hash of each range, given the nodes read for them (as listed by [`nodes_of`]). `None` if a
/// node is missing.
pub fn assemble(
    ranges: &[Range],
    ids: &[NodeId],
    hashes: &[Option<NodeHash>],
) -> Result<Vec<NodeHash>, NodeId> {
    let lookup = |id: NodeId| -> Result<NodeHash, NodeId> {
        ids.binary_search(&id)
            .ok()
            .and_then(|i| hashes.get(i).copied().flatten())
            .ok_or(id)
    };
    ranges
        .iter()
        .map(|r| {
            let nodes = r
                .nodes()
                .into_iter()
                .map(lookup)
                .collect::<Result<Vec<_>, _>>()?;
            fold(&nodes).ok_or(NodeId {
                level: 0,
                index: r.begin,
            })
        })
        .collect()
}

/// The right edge of a tree: its complete subtrees, left to right (the nodes of `[0, size)`).
/// Appending needs only these.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<(NodeId, NodeHash)>,
}

impl Frontier {
    /// The frontier of an empty tree.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The frontier of a tree of `size` leaves from its nodes (`Range{0, size}.nodes()`, in
    /// that order). `None` if they are not those nodes.
    pub fn from_nodes(size: u64, nodes: Vec<(NodeId, NodeHash)>) -> Option<Self> {
        let expected = if size == 0 {
            vec![]
        } else {
            Range {
                begin: 0,
                end: size,
            }
            .nodes()
        };
        let ids: Vec<NodeId> = nodes.iter().map(|(id, _)| *id).collect();
        (ids == expected).then_some(Self { size, nodes })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the tree so far.
    pub fn root(&self) -> NodeHash {
        let hashes: Vec<NodeHash> = self.nodes.iter().map(|(_, h)| *h).collect();
        fold(&hashes).unwrap_or_else(empty_root)
    }

    /// Appends one leaf hash; calls `completed` with every node it completes (the leaf itself
    /// first, then each parent it closes).
    pub fn push(&mut self, leaf: NodeHash, mut completed: impl FnMut(NodeId, NodeHash)) {
        let mut node = (
            NodeId {
                level: 0,
                index: self.size,
            },
            leaf,
        );
        completed(node.0, node.1);
        while let Some(&(left_id, left)) = self.nodes.last() {
            if left_id.level != node.0.level {
                break;
            }
            self.nodes.pop();
            node = (
                NodeId {
                    level: left_id.level + 1,
                    index: left_id.index / 2,
                },
                node_hash(&left, &node.1),
            );
            completed(node.0, node.1);
        }
        self.nodes.push(node);
        self.size += 1;
    }
}

/// Why a proof does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The index or sizes are outside what a proof can be about.
    #[error("{field}: {reason}")]
    Input {
        /// The parameter at fault (`index`, `size`, `from`, `to`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The proof has the wrong number of hashes for the index and size.
    #[error("the proof has the wrong number of hashes")]
    Length,
    /// The hashes do not lead to the root given.
    #[error("the proof does not lead to the root")]
    Mismatch,
}

fn input(field: &'static str, reason: impl Into<String>) -> ProofError {
    ProofError::Input {
        field,
        reason: reason.into(),
    }
}

/// Whether a tree of `size` leaves has a leaf `index`: the refusal names `size` or `index`.
pub fn inclusion_position(index: u64, size: u64) -> Result<(), ProofError> {
    if size == 0 {
        return Err(input(
            "size",
            "a tree size of 0 has no proofs; sizes start at 1",
        ));
    }
    if index >= size {
        return Err(input(
            "index",
            format!("{index} is beyond the tree of {size} leaves (indexes start at 0)"),
        ));
    }
    Ok(())
}

/// Whether a consistency proof from size `from` to size `to` exists: the refusal names `from`.
pub fn consistency_sizes(from: u64, to: u64) -> Result<(), ProofError> {
    if from == 0 {
        return Err(input(
            "from",
            "a tree size of 0 has no proofs; sizes start at 1",
        ));
    }
    if from > to {
        return Err(input(
            "from",
            format!("{from} is larger than to ({to}); a log only grows"),
        ));
    }
    Ok(())
}

/// The walk up the tree that both RFC 9162 verifications make (§2.1.3.2, §2.1.4.2): `f` is the
/// node's index and `s` the last index at the current level; for each proof hash, `step` is told
/// whether it is the left sibling. The proof must end exactly at the root (`s` reaching 0).
fn walk(
    mut f: u64,
    mut s: u64,
    proof: &[NodeHash],
    mut step: impl FnMut(&NodeHash, bool),
) -> Result<(), ProofError> {
    for p in proof {
        if s == 0 {
            return Err(ProofError::Length);
        }
        if f & 1 == 1 || f == s {
            step(p, true);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            step(p, false);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::Length);
    }
    Ok(())
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2): leaf `index` with hash `leaf` is in the tree
/// of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &NodeHash,
    proof: &[NodeHash],
    root: &NodeHash,
) -> Result<(), ProofError> {
    inclusion_position(index, size)?;
    let mut r = *leaf;
    walk(index, size - 1, proof, |p, on_left| {
        r = if on_left {
            node_hash(p, &r)
        } else {
            node_hash(&r, p)
        };
    })?;
    if r != *root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2): the tree of `from` leaves with root
/// `from_root` is a prefix of the tree of `to` leaves with root `to_root`.
pub fn verify_consistency(
    from: u64,
    to: u64,
    from_root: &NodeHash,
    to_root: &NodeHash,
    proof: &[NodeHash],
) -> Result<(), ProofError> {
    consistency_sizes(from, to)?;
    if from == to {
        if !proof.is_empty() {
            return Err(ProofError::Length);
        }
        return if from_root == to_root {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    let mut path: Vec<NodeHash> = Vec::with_capacity(proof.len() + 1);
    if from.is_power_of_two() {
        path.push(*from_root);
    }
    path.extend_from_slice(proof);
    let (first, rest) = path.split_first().ok_or(ProofError::Length)?;
    let (mut f, mut s) = (from - 1, to - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    walk(f, s, rest, |c, on_left| {
        if on_left {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
        } else {
            sr = node_hash(&sr, c);
        }
    })?;
    if fr != *from_root || sr != *to_root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// RFC 6962 §2.1 MTH, by its definition: the reference the stored-node path is checked by.
    fn mth(leaves: &[NodeHash]) -> NodeHash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = usize::try_from(split(n as u64)).unwrap();
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn tree(n: u64) -> (Vec<NodeHash>, HashMap<NodeId, NodeHash>) {
        let leaves: Vec<NodeHash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut f = Frontier::empty();
        let mut nodes = HashMap::new();
        for l in &leaves {
            f.push(*l, |id, h| {
                nodes.insert(id, h);
            });
        }
        assert_eq!(f.root(), mth(&leaves), "frontier root of {n}");
        (leaves, nodes)
    }

    fn hashes_of(ranges: &[Range], nodes: &HashMap<NodeId, NodeHash>) -> Vec<NodeHash> {
        let ids = nodes_of(ranges);
        let got: Vec<Option<NodeHash>> = ids.iter().map(|i| nodes.get(i).copied()).collect();
        assemble(ranges, &ids, &got).expect("every node stored")
    }

    #[test]
    fn split_is_the_largest_power_of_two_below() {
        for (n, k) in [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (1025, 1024)] {
            assert_eq!(split(n), k, "n={n}");
        }
    }

    #[test]
    fn every_proof_of_small_trees_verifies_and_a_wrong_one_does_not() {
        let (leaves, nodes) = tree(40);
        for size in 1..=40u64 {
            let root = mth(&leaves[..size as usize]);
            let ranges = Range {
                begin: 0,
                end: size,
            };
            assert_eq!(
                fold(&hashes_of(&[ranges], &nodes)).unwrap(),
                root,
                "root at {size} from stored nodes"
            );
            for index in 0..size {
                let proof = hashes_of(&inclusion_ranges(index, size), &nodes);
                let leaf = leaves[index as usize];
                verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
                assert!(
                    verify_inclusion(index, size, &leaves[0], &proof, &root).is_err() || index == 0
                );
                if let Some(first) = proof.first() {
                    let mut bad = proof.clone();
                    bad[0][0] ^= 1;
                    assert_eq!(
                        verify_inclusion(index, size, &leaf, &bad, &root),
                        Err(ProofError::Mismatch)
                    );
                    let mut longer = proof.clone();
                    longer.push(*first);
                    assert_eq!(
                        verify_inclusion(index, size, &leaf, &longer, &root),
                        Err(ProofError::Length)
                    );
                }
            }
            for from in 1..=size {
                let old = mth(&leaves[..from as usize]);
                let proof = hashes_of(&consistency_ranges(from, size), &nodes);
                verify_consistency(from, size, &old, &root, &proof).unwrap();
                if from < size {
                    let other = mth(&leaves[1..from as usize + 1]);
                    assert!(verify_consistency(from, size, &other, &root, &proof).is_err());
                }
            }
        }
    }

    #[test]
    fn a_proof_needs_logarithmically_many_nodes() {
        let size = 10_000_000u64;
        for index in [0, 1, 4_999_999, 9_999_998, 9_999_999] {
            let n = nodes_of(&inclusion_ranges(index, size)).len();
            assert!(n <= 2 * 24, "inclusion of {index}: {n} nodes");
        }
        for from in [1, 2, 3, 1_000_000, 9_999_999] {
            let n = nodes_of(&consistency_ranges(from, size)).len();
            assert!(n <= 2 * 24, "consistency from {from}: {n} nodes");
        }
    }

    #[test]
    fn bad_sizes_name_the_field() {
        let h = empty_root();
        let e = verify_inclusion(3, 3, &h, &[], &h).unwrap_err();
        assert!(matches!(e, ProofError::Input { field: "index", .. }), "{e}");
        let e = verify_inclusion(0, 0, &h, &[], &h).unwrap_err();
        assert!(matches!(e, ProofError::Input { field: "size", .. }), "{e}");
        let e = verify_consistency(0, 3, &h, &h, &[]).unwrap_err();
        assert!(matches!(e, ProofError::Input { field: "from", .. }), "{e}");
        let e = verify_consistency(4, 3, &h, &h, &[]).unwrap_err();
        assert!(e.to_string().starts_with("from: "), "{e}");
    }
}
