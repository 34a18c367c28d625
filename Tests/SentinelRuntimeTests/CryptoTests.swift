// SentinelCrypto against published vectors (FIPS 180-2 SHA-256, RFC 8032 Ed25519, RFC 4648
// base64), key-file round trips and OpenSSL interoperability, and concurrent use.

import Foundation
import SentinelCrypto
import Testing

private func hex(_ s: String) -> [UInt8] { Hex.decode(s) ?? [] }

/// RFC 8032 §7.1, tests 1–3: secret key, public key, message, signature.
private let rfc8032: [(String, String, String, String)] = [
  (
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
      + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
  ),
  (
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
      + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
  ),
  (
    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
      + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
  ),
]

@Suite struct CryptoTests {
  @Test func sha256Vectors() {
    #expect(
      SHA256.hexDigest(utf8: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256.hexDigest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(
      SHA256.hexDigest(utf8: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    #expect(SHA256.hexDigest(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    // A slice hashes its own elements only.
    let framed = [0xFF] + Array("abc".utf8) + [0xFF]
    #expect(SHA256.digest(framed[1..<4]) == SHA256.digest(utf8: "abc"))
  }

  @Test func hexRoundTrip() {
    #expect(Hex.encode([0x00, 0x7F, 0xAB, 0xFF]) == "007fabff")
    #expect(Hex.encode([UInt8]()) == "")
    let bytes: [UInt8] = [0x12, 0x00, 0x7F, 0xAB, 0xFF]
    #expect(Hex.encode(bytes[1...]) == "007fabff", "any sequence, as the array form")
    #expect(Hex.encode((0...255).map { UInt8($0) }) == (0...255).map { String(format: "%02x", $0) }.joined())
    #expect(Hex.decode("007FabfF") == [0x00, 0x7F, 0xAB, 0xFF])
    #expect(Hex.decode("abc") == nil)
    #expect(Hex.decode("zz") == nil)
    #expect(Hex.decode("") == [])
  }

  @Test func ed25519RFC8032Vectors() throws {
    for (secret, publicKey, message, signature) in rfc8032 {
      let key = try Ed25519PrivateKey(rawRepresentation: hex(secret))
      #expect(Hex.encode(key.publicKey.rawRepresentation) == publicKey)
      let sig = try key.sign(hex(message))
      #expect(Hex.encode(sig) == signature)
      let pub = try Ed25519PublicKey(rawRepresentation: hex(publicKey))
      #expect(pub.isValidSignature(hex(signature), for: hex(message)))
      #expect(!pub.isValidSignature(hex(signature), for: hex(message) + [0]))
      var bad = hex(signature)
      bad[17] ^= 0x01
      #expect(!pub.isValidSignature(bad, for: hex(message)))
      #expect(!pub.isValidSignature(Array(hex(signature).dropLast()), for: hex(message)))
      #expect(!pub.isValidSignature([], for: hex(message)))
    }
  }

  @Test func generatedKeysSignAndVerify() throws {
    let a = try Ed25519PrivateKey.generate()
    let b = try Ed25519PrivateKey.generate()
    #expect(a.rawRepresentation != b.rawRepresentation)
    let message = Array("decide".utf8)
    let sig = try a.sign(message)
    #expect(try a.sign(message) == sig, "Ed25519 is deterministic")
    #expect(a.publicKey.isValidSignature(sig, for: message))
    #expect(!b.publicKey.isValidSignature(sig, for: message))
    #expect(a.publicKey.keyID.count == 16 && a.publicKey.keyID != b.publicKey.keyID)
    #expect(!"\(a)".contains(Hex.encode(a.rawRepresentation)), "description must not show the secret")
    #expect(
      Mirror(reflecting: a).children.map(\.label) == ["publicKey"], "reflection must not show the secret")
  }

  @Test func keyLengthErrors() {
    #expect(throws: CryptoError.self) { try Ed25519PrivateKey(rawRepresentation: [1, 2, 3]) }
    #expect(throws: CryptoError.self) {
      try Ed25519PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 33))
    }
    do {
      _ = try Ed25519PrivateKey(rawRepresentation: [])
      Issue.record("accepted an empty key")
    } catch {
      #expect(error.kind == .invalidKeyLength)
      #expect(error.message.contains("32 bytes, not 0"))
    }
    // An invalid point is a key that verifies nothing (OpenSSL refuses it), not a crash.
    let notAPoint = [UInt8](repeating: 0xFF, count: 32)
    let key = try? Ed25519PublicKey(rawRepresentation: notAPoint)
    #expect(key?.isValidSignature([UInt8](repeating: 0, count: 64), for: []) == false)
  }

  @Test func base64RFC4648Vectors() {
    let vectors = [
      ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
      ("foobar", "Zm9vYmFy"),
    ]
    for (plain, encoded) in vectors {
      #expect(Base64.encode(Array(plain.utf8)) == encoded)
      #expect(Base64.decode(encoded) == Array(plain.utf8))
    }
    for bad in ["Zg=", "Zg", "Z===", "Zh==", "Zm9v\n", "Zm=v", "Zm9*", "=Zm9"] {
      #expect(Base64.decode(bad) == nil, "accepted \(bad)")
    }
    var rng = SplitMix64(seed: 64)
    for n in 0..<100 {
      let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }
  }

  @Test func pemRoundTripAndKnownEncoding() throws {
    let key = try Ed25519PrivateKey(rawRepresentation: hex(rfc8032[0].0))
    // The PKCS#8 / SPKI encodings of RFC 8032's test key 1, as `openssl pkey` prints them.
    #expect(
      key.pemRepresentation
        == "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
        + "-----END PRIVATE KEY-----\n")
    #expect(
      key.publicKey.pemRepresentation
        == "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
        + "-----END PUBLIC KEY-----\n")
    let back = try Ed25519PrivateKey(pemRepresentation: key.pemRepresentation)
    #expect(back.rawRepresentation == key.rawRepresentation)
    #expect(try Ed25519PublicKey(pemRepresentation: key.publicKey.pemRepresentation) == key.publicKey)
    // Lenient about line endings, wrapping and text around the block.
    let crlf =
      "a comment\r\n" + key.pemRepresentation.replacingOccurrences(of: "\n", with: "\r\n") + "trailer"
    #expect(try Ed25519PrivateKey(pemRepresentation: crlf).rawRepresentation == key.rawRepresentation)
  }

  @Test func pemErrors() throws {
    let key = try Ed25519PrivateKey(rawRepresentation: hex(rfc8032[0].0))
    let cases: [(String, String)] = [
      ("", "no `-----BEGIN PRIVATE KEY-----` line"),
      (key.publicKey.pemRepresentation, "found `-----BEGIN PUBLIC KEY-----`"),
      ("-----BEGIN PRIVATE KEY-----\nMC4CAQAw\n", "has no `-----END PRIVATE KEY-----` line"),
      ("-----BEGIN PRIVATE KEY-----\nMC4C*QAw\n-----END PRIVATE KEY-----\n", "not valid base64"),
      // An RSA-shaped PKCS#8 prefix: valid base64, wrong DER.
      (
        "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAA==\n-----END PRIVATE KEY-----\n",
        "not an Ed25519 key"
      ),
    ]
    for (text, expected) in cases {
      do {
        _ = try Ed25519PrivateKey(pemRepresentation: text)
        Issue.record("accepted \(text)")
      } catch {
        #expect(error.kind == .invalidKeyFormat)
        #expect(error.message.contains(expected), "\(error.message)")
      }
    }
    #expect(throws: CryptoError.self) { try Ed25519PublicKey(pemRepresentation: key.pemRepresentation) }
  }

  /// Our files and OpenSSL's are the same files (skipped where the `openssl` tool is missing).
  @Test func openSSLInteroperability() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else { return }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "siq-crypto-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let keyPath = dir.appendingPathComponent("k.key").path
    _ = try openssl(["genpkey", "-algorithm", "ed25519", "-out", keyPath])
    let theirs = try String(contentsOfFile: keyPath, encoding: .utf8)
    let key = try Ed25519PrivateKey(pemRepresentation: theirs)
    #expect(key.pemRepresentation == theirs)
    let pub = try openssl(["pkey", "-in", keyPath, "-pubout"])
    #expect(pub == key.publicKey.pemRepresentation)
  }

  @Test func concurrentUse() async throws {
    let key = try Ed25519PrivateKey(rawRepresentation: hex(rfc8032[1].0))
    let ok = await withTaskGroup(of: Bool.self) { group in
      for i in 0..<32 {
        group.addTask {
          let message = Array("message \(i)".utf8)
          for _ in 0..<20 {
            guard let sig = try? key.sign(message), key.publicKey.isValidSignature(sig, for: message),
              !key.publicKey.isValidSignature(sig, for: message + [1]),
              SHA256.digest(message) == SHA256.digest(message[...])
            else { return false }
          }
          return true
        }
      }
      return await group.allSatisfy { $0 }
    }
    #expect(ok)
  }
}

private func openssl(_ arguments: [String]) throws -> String {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
  p.arguments = arguments
  let pipe = Pipe()
  p.standardOutput = pipe
  try p.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return String(decoding: data, as: UTF8.self)
}
