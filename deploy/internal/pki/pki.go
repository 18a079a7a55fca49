// Package pki issues the certificates of a throwaway test cluster: one CA, and
// serving and client certificates signed by it, all ECDSA P-256. Nothing here is meant to
// protect a cluster that outlives a test run.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// validity is how long the certificates last: far longer than any test cluster lives.
const validity = 365 * 24 * time.Hour

// CA is a certificate authority: its certificate and signing key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Pair is a certificate and its key, PEM-encoded, ready to write to files.
type Pair struct {
	CertPEM, KeyPEM []byte
}

// Subject names a certificate's holder and where it may serve.
type Subject struct {
	CommonName    string
	Organizations []string // Kubernetes reads these as groups (system:masters, system:nodes)
	DNSNames      []string
	IPs           []net.IP
	Server        bool // serving certificate (with DNSNames and IPs)
	Client        bool // client certificate
}

// NewCA makes a self-signed CA named cn.
func NewCA(cn string) (*CA, Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, Pair{}, err
	}
	tmpl, err := template(pkix.Name{CommonName: cn})
	if err != nil {
		return nil, Pair{}, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, Pair{}, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, Pair{}, err
	}
	pair, err := encode(der, key)
	if err != nil {
		return nil, Pair{}, err
	}
	return &CA{Cert: cert, Key: key}, pair, nil
}

// Issue signs a new key pair for s.
func (ca *CA) Issue(s Subject) (Pair, error) {
	if !s.Server && !s.Client {
		return Pair{}, fmt.Errorf("certificate %q: neither server nor client", s.CommonName)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	tmpl, err := template(pkix.Name{CommonName: s.CommonName, Organization: s.Organizations})
	if err != nil {
		return Pair{}, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	if s.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
		tmpl.DNSNames = s.DNSNames
		tmpl.IPAddresses = s.IPs
	}
	if s.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return Pair{}, fmt.Errorf("certificate %q: %w", s.CommonName, err)
	}
	return encode(der, key)
}

// KeyPair makes a bare key pair (the service-account token signing key): the private key
// and the public key, PEM-encoded.
func KeyPair() (private, public []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), nil
}

func template(name pkix.Name) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      name,
		NotBefore:    now.Add(-time.Hour), // tolerate a clock a little behind
		NotAfter:     now.Add(validity),
	}, nil
}

func encode(der []byte, key *ecdsa.PrivateKey) (Pair, error) {
	k, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return Pair{}, err
	}
	return Pair{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: k}),
	}, nil
}
