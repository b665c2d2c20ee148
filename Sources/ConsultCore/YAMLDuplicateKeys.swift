import Yams

/// Finds mapping keys that repeat in a composed YAML tree, by their text.
///
/// Yams already refuses a document in which one mapping has two keys with equal text **and**
/// equal resolved tag (`YamlError.duplicatedKeysInMapping`, raised while composing). It accepts
/// keys whose text is equal but whose tags differ, such as `1:` (an integer) and `"1":` (a
/// string), or `true:` and `'true':`; the workflow loader reads keys by their text, so to it
/// these are the same key and one would silently shadow the other. This walk reports them.
enum YAMLDuplicateKeys {
  /// A key whose text an earlier key of the same mapping already has.
  struct Duplicate {
    /// The key's text, as the loader reads it.
    var text: String
    /// The repeated key's node (its mark is where to report).
    var key: Node
    /// The first key of the mapping with the same text.
    var first: Node
  }

  /// Every repeated scalar key of every mapping under `root` (depth first, file order).
  ///
  /// - Parameter root: A tree from `Yams.compose(yaml:)`.
  /// - Returns: One entry per repetition (a key written three times yields two).
  static func find(in root: Node) -> [Duplicate] {
    var result: [Duplicate] = []
    walk(root, into: &result)
    return result
  }

  private static func walk(_ node: Node, into result: inout [Duplicate]) {
    switch node {
    case .mapping(let mapping):
      var seen: [String: Node] = [:]
      for (key, value) in mapping {
        if let text = key.scalar?.string {
          if let first = seen[text] {
            result.append(Duplicate(text: text, key: key, first: first))
          } else {
            seen[text] = key
          }
        } else {
          walk(key, into: &result)
        }
        walk(value, into: &result)
      }
    case .sequence(let sequence):
      for item in sequence { walk(item, into: &result) }
    case .scalar, .alias:
      break
    }
  }
}
