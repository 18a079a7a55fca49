package pki

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"slices"
	"testing"
)

func TestIssueVerifies(t *testing.T) {
	t.Parallel()
	ca, caPair, err := NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPair.CertPEM) {
		t.Fatal("CA certificate does not parse")
	}
	for _, tc := range []struct {
		name  string
		s     Subject
		usage x509.ExtKeyUsage
		host  string
	}{
		{"server by IP", Subject{CommonName: "apiserver", IPs: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"kubernetes"}, Server: true}, x509.ExtKeyUsageServerAuth, "127.0.0.1"},
		{"server by name", Subject{CommonName: "apiserver", DNSNames: []string{"kubernetes.default.svc"}, Server: true}, x509.ExtKeyUsageServerAuth, "kubernetes.default.svc"},
		{"client with groups", Subject{CommonName: "admin", Organizations: []string{"system:masters"}, Client: true}, x509.ExtKeyUsageClientAuth, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pair, err := ca.Issue(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM); err != nil {
				t.Fatalf("certificate and key do not match: %v", err)
			}
			block, _ := pem.Decode(pair.CertPEM)
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: tc.host, KeyUsages: []x509.ExtKeyUsage{tc.usage}}); err != nil {
				t.Errorf("does not verify against the CA for %v: %v", tc.usage, err)
			}
			if !slices.Equal(cert.Subject.Organization, tc.s.Organizations) {
				t.Errorf("organizations %q, want %q", cert.Subject.Organization, tc.s.Organizations)
			}
		})
	}
}

func TestIssueRefusesNoUsage(t *testing.T) {
	t.Parallel()
	ca, _, err := NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Issue(Subject{CommonName: "nothing"}); err == nil {
		t.Error("a certificate for neither server nor client was issued")
	}
}

func TestOtherCADoesNotVerify(t *testing.T) {
	t.Parallel()
	ca, _, err := NewCA("one")
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := NewCA("two")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Issue(Subject{CommonName: "x", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(other.CertPEM)
	block, _ := pem.Decode(pair.CertPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("a certificate verified against a CA that did not sign it")
	}
}
