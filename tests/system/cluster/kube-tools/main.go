// kube-tools: the one static binary of the cluster harness's images (tests/system/cluster).
//
//	pause            the pod sandbox: waits for SIGTERM or SIGINT, reaps children (PID 1)
//	probe [NAME|URL...]
//	                 from inside a pod: resolves each NAME through the pod's resolv.conf
//	                 (CoreDNS), GETs each http:// URL, and asks the API server, through the
//	                 kubernetes Service, who its service account token is (a SelfSubjectReview);
//	                 prints one JSON object
//	serve [ADDR]     answers every HTTP request with "ok <hostname>" (default :8080)
//
// Standard library only, built with CGO_ENABLED=0 and packed into a scratch image by cluster.sh.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const saDir = "/var/run/secrets/kubernetes.io/serviceaccount"

func main() {
	mode := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if mode != "pause" && mode != "probe" && mode != "serve" && len(args) > 0 {
		mode, args = args[0], args[1:]
	}
	switch mode {
	case "pause":
		pause()
	case "probe":
		os.Exit(probe(args))
	case "serve":
		serve(args)
	default:
		fmt.Fprintln(os.Stderr, "usage: kube-tools pause|probe [NAME|URL...]|serve [ADDR]")
		os.Exit(2)
	}
}

func pause() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}

func serve(args []string) {
	addr := ":8080"
	if len(args) > 0 {
		addr = args[0]
	}
	host, _ := os.Hostname()
	server := &http.Server{Addr: addr, ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintf(w, "ok %s\n", host)
		})}
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		<-signals
		os.Exit(0)
	}()
	if err := server.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type fetch struct {
	URL    string `json:"url"`
	Status int    `json:"status,omitempty"`
	Body   string `json:"body,omitempty"`
	Error  string `json:"error,omitempty"`
}

type lookup struct {
	Name      string   `json:"name"`
	Addresses []string `json:"addresses,omitempty"`
	NotFound  bool     `json:"not_found,omitempty"`
	Error     string   `json:"error,omitempty"`
}

func probe(names []string) int {
	if len(names) == 0 {
		names = []string{"kubernetes.default.svc.cluster.local", "kubernetes.default", "example.com."}
	}
	resolver := &net.Resolver{PreferGo: true}
	result := map[string]any{}
	var lookups []lookup
	var fetches []fetch
	for _, name := range names {
		if strings.HasPrefix(name, "http://") {
			fetches = append(fetches, get(name))
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		addrs, err := resolver.LookupHost(ctx, name)
		cancel()
		l := lookup{Name: name, Addresses: addrs}
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			l.NotFound = true
		} else if err != nil {
			l.Error = err.Error()
		}
		lookups = append(lookups, l)
	}
	result["lookups"] = lookups
	if fetches != nil {
		result["fetches"] = fetches
	}
	user, err := whoAmI()
	if err != nil {
		result["api_error"] = err.Error()
	} else {
		result["api_user"] = user
	}
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
	if err != nil {
		return 1
	}
	return 0
}

func get(url string) fetch {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return fetch{URL: url, Error: err.Error()}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return fetch{URL: url, Status: resp.StatusCode, Body: strings.TrimSpace(string(body))}
}

// whoAmI posts a SelfSubjectReview to https://kubernetes.default.svc.cluster.local (the Service,
// checked against the cluster CA) with the pod's service account token.
func whoAmI() (string, error) {
	caPEM, err := os.ReadFile(saDir + "/ca.crt")
	if err != nil {
		return "", err
	}
	token, err := os.ReadFile(saDir + "/token")
	if err != nil {
		return "", err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	body := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`)
	req, _ := http.NewRequest("POST",
		"https://kubernetes.default.svc.cluster.local/apis/authentication.k8s.io/v1/selfsubjectreviews",
		bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+string(bytes.TrimSpace(token)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	var review struct {
		Status struct {
			UserInfo struct {
				Username string `json:"username"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	if err := json.Unmarshal(data, &review); err != nil {
		return "", err
	}
	return review.Status.UserInfo.Username, nil
}
