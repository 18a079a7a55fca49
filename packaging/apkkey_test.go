// The apk key: made once, never over another file, and read back only as an unencrypted
// RSA key whose public key lies beside it.

package packaging

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPKKey makes a key pair, reads it back, and refuses what apk could not use.
func TestAPKKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := filepath.Join(dir, "project.rsa")
	if err := GenerateAPKKey(key); err != nil {
		t.Fatal(err)
	}
	if name, err := APKKeyName(key); err != nil || name != "project.rsa.pub" {
		t.Errorf("APKKeyName: %q, %v", name, err)
	}
	k, err := loadAPKKey(key)
	if err != nil || k.N.BitLen() != APKKeyBits {
		t.Fatalf("loadAPKKey: %v", err)
	}
	if err := GenerateAPKKey(key); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second GenerateAPKKey: %v; want a refusal to write over the key", err)
	}
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	pub := mustRead(t, key+".pub")
	for name, c := range map[string]struct{ key, pub, want string }{
		"PKCS #1":           {pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), pub, ""},
		"another's public":  {pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(other)), pub, "is not"},
		"no public key":     {pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), "", "make apk-key writes both"},
		"not RSA":           {pemOf("PRIVATE KEY", ecDER), pub, "not an RSA key"},
		"encrypted or else": {pemOf("ENCRYPTED PRIVATE KEY", []byte{1}), pub, "want an unencrypted RSA private key"},
		"not PEM":           {"key", pub, "no PEM block"},
	} {
		path := filepath.Join(t.TempDir(), "k.rsa")
		mustWrite(t, path, c.key, 0o600)
		if c.pub != "" {
			mustWrite(t, path+".pub", c.pub, 0o600)
		}
		if _, err := loadAPKKey(path); c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v; want %q", name, err, c.want)
		}
	}
	if _, err := APKKeyName(filepath.Join(dir, "project.pem")); err == nil {
		t.Error("a key not named .rsa: Alpine's apk would not find its public key by name")
	}
}
