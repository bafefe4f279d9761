package fakecompute

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"strings"
)

// serviceAccountKey is the JSON key file the IAM console hands out. Only
// token_uri differs from a real one: it points at the emulator, so the Go
// libraries' two-legged flow (a JWT exchanged for a bearer token) ends there.
type serviceAccountKey struct {
	Type                    string `json:"type"`
	ProjectID               string `json:"project_id"`
	PrivateKeyID            string `json:"private_key_id"`
	PrivateKey              string `json:"private_key"`
	ClientEmail             string `json:"client_email"`
	ClientID                string `json:"client_id"`
	AuthURI                 string `json:"auth_uri"`
	TokenURI                string `json:"token_uri"`
	AuthProviderX509CertURL string `json:"auth_provider_x509_cert_url"`
	ClientX509CertURL       string `json:"client_x509_cert_url"`
	UniverseDomain          string `json:"universe_domain"`
}

// WriteServiceAccountKey writes a service-account key file whose token_uri
// is <emulatorURL>/token, for google.CredentialsFromJSON,
// option.WithCredentialsFile or GOOGLE_APPLICATION_CREDENTIALS. The RSA key
// is fresh and real (the libraries sign with it); the emulator does not
// check the signature. The file is written with mode 0600, as a key should be.
func WriteServiceAccountKey(path, emulatorURL, project string) error {
	u, err := url.Parse(emulatorURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("emulator URL %q: want http://host:port", emulatorURL)
	}
	if err := checkName(project); err != nil {
		return fmt.Errorf("project %q: %w", project, err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generating the RSA key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encoding the RSA key: %w", err)
	}
	keyID := make([]byte, 20)
	if _, err := rand.Read(keyID); err != nil {
		return err
	}
	// Client ids are 21-digit numbers.
	low := new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil)
	clientID, err := rand.Int(rand.Reader, new(big.Int).Mul(low, big.NewInt(9)))
	if err != nil {
		return err
	}
	clientID.Add(clientID, low)
	email := "fakecompute@" + project + ".iam.gserviceaccount.com"
	k := serviceAccountKey{
		Type:                    "service_account",
		ProjectID:               project,
		PrivateKeyID:            hex.EncodeToString(keyID),
		PrivateKey:              string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		ClientEmail:             email,
		ClientID:                clientID.String(),
		AuthURI:                 "https://accounts.google.com/o/oauth2/auth",
		TokenURI:                strings.TrimSuffix(u.String(), "/") + tokenPath,
		AuthProviderX509CertURL: "https://www.googleapis.com/oauth2/v1/certs",
		ClientX509CertURL:       "https://www.googleapis.com/robot/v1/metadata/x509/" + url.PathEscape(email),
		UniverseDomain:          "googleapis.com",
	}
	b, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
