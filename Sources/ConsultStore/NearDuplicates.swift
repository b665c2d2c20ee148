/// Near-duplicate texts by MinHash signatures and locality-sensitive hashing (LSH): groups texts
/// whose estimated Jaccard similarity is at least ``threshold``, wherever their differences are
/// (start, end, middle or both ends), in time linear in the number of texts; pure, no I/O.
///
/// Method (Broder, "On the resemblance and containment of documents", 1997; Leskovec, Rajaraman
/// and Ullman, *Mining of Massive Datasets*, ch. 3):
/// 1. A text is normalised cheaply (a trailing "Re: …" line dropped as the campaign fingerprint
///    drops it, ASCII letters lower-cased, every run of ASCII characters that are not letters or
///    digits one space, other characters kept) and cut into its overlapping
///    shingles of ``shingleWords`` words (word 3-grams: unlike character n-grams, two unrelated
///    texts in one language share almost none); the Jaccard similarity of two texts is that of
///    their shingle sets.
/// 2. Its signature is a MinHash of ``signatureLength`` values: each shingle is hashed once (64
///    bits, SplitMix64's finaliser), then by ``signatureLength`` multiply-shift hash functions,
///    each keeping the top 16 bits of its minimum; the fraction of equal values of two
///    signatures estimates their Jaccard similarity (standard error ≤ 0.0625).
/// 3. LSH: the signature is cut into ``bands`` bands of ``rowsPerBand`` bins. Texts whose bins
///    agree in one whole band are candidates: a pair of similarity s is one with probability
///    1 − (1 − s³)²¹ (0.94 at s = 0.5, 0.86 at s = 0.45, 0.16 at s = 0.2). A candidate is joined when the
///    fraction of its 64 values equal to the other's is at least ``threshold``.
/// 4. Linear: texts are visited in the order given (most-sent first), and in each band every text
///    is compared with the first text that filled its bucket only (its representative), never
///    with all of the bucket: at most ``bands`` comparisons of 64 bins per text. A group is the
///    connected component of the joins (union-find).
public struct NearDuplicateGrouping {
  /// Words per shingle of the normalised text.
  public static let shingleWords = 3
  /// Bins per MinHash signature.
  public static let signatureLength = 64
  /// LSH bands (of ``rowsPerBand`` bins each; 63 of the 64 bins are banded).
  public static let bands = 21
  /// Bins per LSH band.
  public static let rowsPerBand = 3
  /// The estimated Jaccard similarity of shingle sets at or above which two candidates are joined.
  /// A form letter of 40 words with a greeting and a sentence added before it and a sentence
  /// and signature after it is at about 0.5; two different texts on one subject share few word
  /// 3-grams (the regulations.gov docket's are below 0.3).
  public static let threshold = 0.45

  /// The signatures, ``signatureLength`` bins each, in the order added.
  private var signatures: [UInt16] = []

  /// An empty grouping.
  public init() {}

  /// How many texts were added.
  public var count: Int { signatures.count / Self.signatureLength }

  /// Adds a text's signature (texts are best added most-sent first: the first text of a bucket
  /// represents it). Memory: 128 bytes per text.
  public mutating func add(_ text: String) {
    signatures.append(contentsOf: Self.signature(text))
  }

  /// Groups the texts added: returns, for each text in the order added, the index of its group's
  /// root (texts with the same root are near-duplicates of each other, directly or through a chain).
  public func groups() -> [Int] {
    var sets = IndexUnionFind(count: count)
    let n = count
    var buckets: [UInt64: Int32] = [:]
    buckets.reserveCapacity(n)
    signatures.withUnsafeBufferPointer { all in
      for band in 0..<Self.bands {
        buckets.removeAll(keepingCapacity: true)
        let first = band * Self.rowsPerBand
        for text in 0..<n {
          let base = text * Self.signatureLength + first
          var key = UInt64(band) << 48
          for row in 0..<Self.rowsPerBand { key |= UInt64(all[base + row]) << (16 * UInt64(row)) }
          if let representative = buckets[key] {
            let other = Int(representative)
            if sets.find(other) != sets.find(text), Self.similarity(all, text, other) >= Self.threshold {
              sets.union(other, text)
            }
          } else {
            buckets[key] = Int32(text)
          }
        }
      }
    }
    return (0..<n).map { sets.find($0) }
  }

  /// The fraction of equal bins of the signatures of texts `a` and `b`: the estimated Jaccard
  /// similarity of their shingle sets.
  private static func similarity(_ all: UnsafeBufferPointer<UInt16>, _ a: Int, _ b: Int) -> Double {
    var equal = 0
    let x = a * signatureLength
    let y = b * signatureLength
    for bin in 0..<signatureLength where all[x + bin] == all[y + bin] { equal += 1 }
    return Double(equal) / Double(signatureLength)
  }

  /// The estimated Jaccard similarity of two texts' shingle sets (fraction of equal MinHash bins).
  public static func estimatedSimilarity(_ a: String, _ b: String) -> Double {
    let x = signature(a)
    let y = signature(b)
    return Double(zip(x, y).filter { $0 == $1 }.count) / Double(signatureLength)
  }

  /// The text normalised for shingling: ASCII letters lower-cased; each run of ASCII bytes that
  /// are neither letters nor digits one space (none at the ends); other bytes (non-ASCII UTF-8)
  /// kept.
  static func normalised(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    var pendingSpace = false
    for byte in withoutReLine(Array(text.utf8)) {
      let kept: UInt8
      switch byte {
      case 0x41...0x5A: kept = byte | 0x20
      case 0x61...0x7A, 0x30...0x39, 0x80...0xFF: kept = byte
      default:
        pendingSpace = true
        continue
      }
      if pendingSpace && !out.isEmpty { out.append(0x20) }
      pendingSpace = false
      out.append(kept)
    }
    return out
  }

  /// `bytes` without a trailing "Re: …" line, as `consult_normalise_text` drops it (migration
  /// 0002: a last line starting with `re:`, any case, after another line; regulations.gov
  /// appends the docket's title so to comments moved from another docket).
  static func withoutReLine(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
    var end = bytes.count
    while end > 0, [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C].contains(bytes[end - 1]) { end -= 1 }
    guard let lineBreak = bytes[..<end].lastIndex(where: { $0 == 0x0A || $0 == 0x0D }) else {
      return bytes[...]
    }
    var start = lineBreak + 1
    while start < end, [0x20, 0x09].contains(bytes[start]) { start += 1 }
    if end - start >= 3, bytes[start] | 0x20 == 0x72, bytes[start + 1] | 0x20 == 0x65, bytes[start + 2] == 0x3A {
      return bytes[..<lineBreak]
    }
    return bytes[...]
  }

  /// SplitMix64's finaliser: a 64-bit mix of `value`.
  @inline(__always)
  private static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The ``signatureLength`` hash functions' multipliers and offsets (odd multipliers from a
  /// fixed SplitMix64 sequence: the same for every run and every text).
  private static let permutations: [(multiplier: UInt64, offset: UInt64)] = (0..<signatureLength).map { index in
    (mix(UInt64(index) &* 2 &+ 1) | 1, mix(UInt64(index) &* 2 &+ 2))
  }

  /// The MinHash signature of `text`: for each of the ``signatureLength`` hash functions
  /// h(x) = (a·x + b) mod 2⁶⁴ (multiply-shift, Dietzfelbinger et al. 1997), the top 16 bits of
  /// the smallest h over the text's shingle hashes.
  static func signature(_ text: String) -> [UInt16] {
    let bytes = normalised(text)
    // Word hashes (FNV-1a over each word's bytes), then one hash per window of
    // ``shingleWords`` consecutive words (all of them when the text is shorter).
    var words: [UInt64] = []
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    var inWord = false
    for byte in bytes {
      if byte == 0x20 {
        if inWord { words.append(hash) }
        hash = 0xCBF2_9CE4_8422_2325
        inWord = false
      } else {
        hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
        inWord = true
      }
    }
    if inWord { words.append(hash) }
    var shingles: [UInt64] = []
    let k = shingleWords
    if words.count < k {
      shingles.append(mix(words.reduce(UInt64(words.count)) { $0 &* 0x9E37_79B9_7F4A_7C15 ^ $1 }))
    } else {
      shingles.reserveCapacity(words.count - k + 1)
      for i in 0...(words.count - k) {
        var shingle: UInt64 = 0
        for j in 0..<k { shingle = (shingle &* 0x9E37_79B9_7F4A_7C15) ^ words[i + j] }
        shingles.append(mix(shingle))
      }
    }
    var minima = [UInt64](repeating: UInt64.max, count: signatureLength)
    minima.withUnsafeMutableBufferPointer { minima in
      permutations.withUnsafeBufferPointer { permutations in
        for shingle in shingles {
          for index in 0..<signatureLength {
            let value = shingle &* permutations[index].multiplier &+ permutations[index].offset
            if value < minima[index] { minima[index] = value }
          }
        }
      }
    }
    return minima.map { UInt16(truncatingIfNeeded: $0 >> 48) }
  }
}

/// Disjoint sets over 0..<count with path halving and union by size.
struct IndexUnionFind {
  private var parent: [Int32]
  private var size: [Int32]

  init(count: Int) {
    parent = (0..<count).map { Int32($0) }
    size = [Int32](repeating: 1, count: count)
  }

  mutating func find(_ element: Int) -> Int {
    var current = element
    while Int(parent[current]) != current {
      let grand = parent[Int(parent[current])]
      parent[current] = grand
      current = Int(grand)
    }
    return current
  }

  mutating func union(_ a: Int, _ b: Int) {
    let rootA = find(a)
    let rootB = find(b)
    guard rootA != rootB else { return }
    let (small, large) = size[rootA] < size[rootB] ? (rootA, rootB) : (rootB, rootA)
    parent[small] = Int32(large)
    size[large] += size[small]
  }
}
