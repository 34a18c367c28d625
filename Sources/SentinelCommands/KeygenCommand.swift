// `sentinel keygen`: make an Ed25519 key pair for signing bundles.

import ArgumentParser
import SentinelCrypto

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Generates an Ed25519 signing key pair as PEM files.
public struct KeygenCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "keygen",
    abstract: "Generate an Ed25519 key pair for signing bundles.",
    discussion: """
      Writes two PEM files, in the formats OpenSSL uses for Ed25519 keys:
        PREFIX.key  the private key (PKCS#8 PRIVATE KEY), mode 0600
        PREFIX.pub  the public key (SubjectPublicKeyInfo PUBLIC KEY)
      and prints the key id: 16 hex digits (the start of the public key's
      SHA-256) that bundles and decision records name the signer by.

      Sign bundles with the .key file. Give the .pub file to the runtime:
      it then loads only bundles signed by a trusted key, and refuses any
      whose content was modified.

      The files interoperate with OpenSSL: `openssl pkey -in PREFIX.key
      -pubout` prints PREFIX.pub, and a key made by `openssl genpkey
      -algorithm ed25519` works as a .key file.

      Existing files are never overwritten unless --force is given.

      Example:
        sentinel keygen --out keys/prod-2026
      """)

  @Option(
    name: .shortAndLong,
    help: ArgumentHelp("Path prefix of the key files: writes PREFIX.key and PREFIX.pub.", valueName: "prefix")
  )
  var out: String

  @Flag(help: "Replace existing key files.")
  var force = false

  public init() {}

  public func run() throws {
    let privatePath = out + ".key"
    let publicPath = out + ".pub"
    if !force {
      for path in [privatePath, publicPath] where access(path, F_OK) == 0 {
        throw KeygenError("\(path) already exists (use --force to replace it)")
      }
    }
    let key = try Ed25519PrivateKey.generate()
    try Self.write(key.pemRepresentation, to: privatePath, mode: 0o600)
    try Self.write(key.publicKey.pemRepresentation, to: publicPath, mode: 0o644)
    FileStream.standardError.write("wrote \(privatePath) (private key, mode 0600) and \(publicPath)\n")
    print(key.publicKey.keyID)
  }

  /// Creates `path` afresh with exactly `mode` (an existing file is removed first, so it cannot
  /// keep looser permissions) and writes `text`.
  private static func write(_ text: String, to path: String, mode: mode_t) throws {
    if unlink(path) != 0 && errno != ENOENT {
      throw KeygenError("cannot replace \(path): \(String(cString: strerror(errno)))")
    }
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { throw KeygenError("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fchmod(fd, mode) == 0 else {
      throw KeygenError("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
    }
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
      let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw KeygenError("cannot write \(path): \(String(cString: strerror(errno)))") }
      bytes = bytes.dropFirst(n)
    }
    guard fsync(fd) == 0 else {
      throw KeygenError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
  }
}

/// A keygen failure, printed as `Error: <message>`.
private struct KeygenError: Error, CustomStringConvertible {
  let description: String
  init(_ message: String) { description = message }
}
