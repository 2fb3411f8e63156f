package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is the set of files the harness issues into <state>/pki.
type pki struct {
	Dir string

	CACert string // the one CA: clients, the apiserver's serving cert, the agent's kubelet cert

	ServingCert, ServingKey             string // kube-apiserver serving cert (127.0.0.1, localhost, 10.0.0.1)
	AdminCert, AdminKey                 string // admin client, O=system:masters (envtest's default user)
	KubeletClientCert, KubeletClientKey string // the apiserver's client cert when it calls the node agent
	KubeletCert, KubeletKey             string // the node agent's serving cert (127.0.0.1), CN system:node:<node>
	SAPublicKey, SAPrivateKey           string // service-account token signing key pair

	caCert *x509.Certificate
	caKey  crypto.Signer
	caPEM  []byte
}

type leafSpec struct {
	name   string
	cn     string
	orgs   []string
	usage  []x509.ExtKeyUsage
	ips    []net.IP
	dnsSAN []string
}

// issuePKI writes a fresh CA and every leaf the harness and the node agent need.
func issuePKI(dir, nodeName string) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &pki{Dir: dir}
	if err := p.issueCA(); err != nil {
		return nil, fmt.Errorf("issue CA: %w", err)
	}
	server := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	loopback := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	leaves := []struct {
		spec      leafSpec
		cert, key *string
	}{
		{leafSpec{name: "apiserver", cn: "kube-apiserver", usage: server,
			ips: append(loopback, net.ParseIP("10.0.0.1")), dnsSAN: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}},
			&p.ServingCert, &p.ServingKey},
		{leafSpec{name: "admin", cn: "kontroler-admin", orgs: []string{"system:masters"}, usage: client},
			&p.AdminCert, &p.AdminKey},
		{leafSpec{name: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}, usage: client},
			&p.KubeletClientCert, &p.KubeletClientKey},
		{leafSpec{name: "kubelet", cn: "system:node:" + nodeName, orgs: []string{"system:nodes"}, usage: server,
			ips: loopback, dnsSAN: []string{"localhost", nodeName}},
			&p.KubeletCert, &p.KubeletKey},
	}
	for _, l := range leaves {
		c, k, err := p.issueLeaf(l.spec)
		if err != nil {
			return nil, fmt.Errorf("issue %s certificate: %w", l.spec.name, err)
		}
		*l.cert, *l.key = c, k
	}
	if err := p.issueServiceAccountKeys(); err != nil {
		return nil, fmt.Errorf("issue service-account keys: %w", err)
	}
	return p, nil
}

func (p *pki) issueCA() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kontroler-test-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	p.caCert, err = x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	p.caKey = key
	p.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	p.CACert = filepath.Join(p.Dir, "ca.crt")
	return os.WriteFile(p.CACert, p.caPEM, 0o644)
}

func (p *pki) issueLeaf(s leafSpec) (certPath, keyPath string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: s.cn, Organization: s.orgs},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  s.usage,
		IPAddresses:  s.ips,
		DNSNames:     s.dnsSAN,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certPath = filepath.Join(p.Dir, s.name+".crt")
	keyPath = filepath.Join(p.Dir, s.name+".key")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return "", "", err
	}
	return certPath, keyPath, nil
}

func (p *pki) issueServiceAccountKeys() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	p.SAPrivateKey = filepath.Join(p.Dir, "sa.key")
	p.SAPublicKey = filepath.Join(p.Dir, "sa.pub")
	if err := os.WriteFile(p.SAPrivateKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(p.SAPublicKey, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}
