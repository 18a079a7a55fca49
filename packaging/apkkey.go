// The project's apk signing key: an RSA key pair that signs the OpenWrt packages, the
// Alpine packages and both repositories' indexes, which one public key on a device trusts.

package packaging

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// APKKeyBits is the key's size. RSA, because Alpine's v2 signatures (.SIGN.RSA*) know no
// other kind, and apk-tools 3 verifies RSA too (OpenSSL and mbedtls builds alike): one key
// serves Alpine and OpenWrt. 4096 bits, as Alpine's abuild-keygen makes them.
const APKKeyBits = 4096

// APKKeyName is the public key's file name for the private key at path: path with .pub
// appended, which must end in .rsa.pub. Alpine's apk finds the key that signed a v2
// package or index by this name, in /etc/apk/keys; apk-tools 3 by the key itself.
func APKKeyName(path string) (string, error) {
	if !strings.HasSuffix(path, ".rsa") {
		return "", fmt.Errorf("apk key %q: want a name ending in .rsa (its public key, NAME.rsa.pub, is the name Alpine's apk looks for in /etc/apk/keys)", path)
	}
	return filepath.Base(path) + ".pub", nil
}

// GenerateAPKKey writes a new key pair: the private key to path (PKCS #8, mode 0600) and
// the public key to path.pub (mode 0644). It writes over neither.
func GenerateAPKKey(path string) error {
	if _, err := APKKeyName(path); err != nil {
		return err
	}
	for _, p := range []string{path, path + ".pub"} {
		if _, err := os.Lstat(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s exists: move it away first", p)
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, APKKeyBits)
	if err != nil {
		return err
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}), 0o600); err != nil {
		return err
	}
	return writeNew(path+".pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
}

// writeNew writes a file that must not exist yet.
func writeNew(path string, content []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode) //nolint:gosec // a path the caller chose
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// loadAPKKey reads the private key at path: an unencrypted RSA key in PEM, PKCS #8 or
// PKCS #1 (apk-tools reads both, and no passphrase), whose public key is beside it.
func loadAPKKey(path string) (*rsa.PrivateKey, error) {
	name, err := APKKeyName(path)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path) //nolint:gosec // the key the caller named
	if err != nil {
		return nil, fmt.Errorf("apk key: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("apk key %s: no PEM block", path)
	}
	var parsed any
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		err = fmt.Errorf("a %q block: want an unencrypted RSA private key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("apk key %s: %w", path, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("apk key %s: not an RSA key (Alpine's signatures are RSA only)", path)
	}
	pub, err := os.ReadFile(filepath.Join(filepath.Dir(path), name)) //nolint:gosec // beside the key
	if err != nil {
		return nil, fmt.Errorf("apk key's public key: %w (make apk-key writes both)", err)
	}
	if block, _ := pem.Decode(pub); block == nil {
		return nil, fmt.Errorf("apk public key %s: no PEM block", name)
	} else if k, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil || !key.PublicKey.Equal(k) {
		return nil, fmt.Errorf("apk public key %s is not %s's", name, filepath.Base(path))
	}
	return key, nil
}
