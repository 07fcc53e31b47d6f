// Package credential recognises credentials written where they do not belong (a
// variable named like a password, a token of a well-known shape, a password in a URI's
// user info) and hides them in text meant to be read: messages, notes and diffs.
//
// The rules aim at precision: a false alarm in a user's repository is an error to work
// around, so only names and shapes that almost never mean anything else are matched.
package credential

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Mask is what Redact writes in place of a credential.
const Mask = "***"

// shape is a well-known form of token, found by its prefix and pattern.
type shape struct {
	// what names the token for a message, such as "a GitHub token".
	what string
	// marker is a fixed part every such token has, tested before the pattern.
	marker  string
	pattern string
}

// shapes are tokens whose form is documented by their issuer and distinctive enough that
// a match is one. Generic high-entropy strings are left out on purpose: image digests,
// hashes and generated names look the same.
var shapes = []shape{
	{"an AWS access key ID", "IA", `\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`},
	{"a GitHub token", "gh", `\bgh[pousr]_[A-Za-z0-9]{36,}\b`},
	{"a GitHub token", "github_pat_", `\bgithub_pat_[A-Za-z0-9_]{22,}`},
	{"a GitLab token", "glpat-", `\bglpat-[A-Za-z0-9_-]{20,}`},
	{"a Slack token", "xox", `\bxox[abposr]-[A-Za-z0-9-]{10,}`},
	{"a Slack webhook URL", "hooks.slack.com/", `hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{8,}`},
	{"a Hugging Face token", "hf_", `\bhf_[A-Za-z0-9]{30,}\b`},
	{"an OpenAI API key", "sk-", `\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})`},
	{"a Google API key", "AIza", `\bAIza[0-9A-Za-z_-]{35}\b`},
	{"a Stripe secret key", "_live_", `\b[rs]k_live_[A-Za-z0-9]{20,}`},
	{"a private key", "PRIVATE KEY-----", `-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----`},
	{"a JSON Web Token", "eyJ", `\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`},
}

// Compiled when first needed, not when mlc starts.
var (
	shapePatterns = sync.OnceValue(func() []*regexp.Regexp {
		out := make([]*regexp.Regexp, len(shapes))
		for i, s := range shapes {
			out[i] = regexp.MustCompile(s.pattern)
		}
		return out
	})
	// userInfoPattern finds scheme://userinfo@ in text: the user info runs to the last
	// '@' before the authority ends, as URL parsers read it.
	userInfoPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\s"'<>` + "`" + `]+)@`)
	})
	// queryParamPattern finds the parameters of a URI's query: name=value after ? or &.
	queryParamPattern = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`([?&])([A-Za-z0-9_.-]+)=([^&#\s"'<>` + "`" + `]+)`)
	})
	// userName is a user info without a password that reads as a user's name (git,
	// svc-reader) rather than a token.
	userName = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-z][a-z0-9._-]{0,15}$`)
	})
)

// Token reports the kind of well-known token s holds, such as "a GitHub token".
func Token(s string) (what string, ok bool) {
	for i, sh := range shapes {
		if strings.Contains(s, sh.marker) && shapePatterns()[i].MatchString(s) {
			return sh.what, true
		}
	}
	return "", false
}

// UserInfo reports the first URI in s whose user info holds a credential: a password
// (user:password@), or a user info that is not a plain user name (a token@). It returns
// that URI's start, redacted, for a message.
func UserInfo(s string) (redacted string, ok bool) {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return "", false
	}
	for _, m := range userInfoPattern().FindAllStringSubmatch(s, -1) {
		if masked := maskUserInfo(m[2]); masked != m[2] {
			return m[1] + masked + "@", true
		}
	}
	return "", false
}

// signatureParams are the query parameters that carry the signature of a pre-signed
// URL (S3, Google Cloud Storage, Azure SAS, CloudFront): anyone holding the URL can use it.
var signatureParams = []string{"sig", "signature", "x-amz-signature", "x-amz-security-token", "x-goog-signature", "x-goog-credential"}

// QueryParam reports the first query parameter of a URI in s that holds a credential: one
// named like a secret (token, api_key, access_token, ...) or the signature of a
// pre-signed URL. It returns the parameter's name.
func QueryParam(s string) (name string, ok bool) {
	if !strings.Contains(s, "://") || !strings.Contains(s, "=") {
		return "", false
	}
	for _, m := range queryParamPattern().FindAllStringSubmatch(s, -1) {
		if secretParam(m[2]) {
			return m[2], true
		}
	}
	return "", false
}

func secretParam(name string) bool {
	return SecretName(name) || slices.Contains(signatureParams, strings.ToLower(name))
}

// maskUserInfo hides the password of a user info, and the user too unless it reads as
// a user's name.
func maskUserInfo(info string) string {
	user, _, hasPassword := strings.Cut(info, ":")
	if user != "" && !userName().MatchString(user) {
		user = Mask
	}
	if hasPassword {
		return user + ":" + Mask
	}
	return user
}

// Redact returns s with every credential it can recognise hidden: the user info of
// URIs (https://svc:***@host, https://***@host) and tokens of a well-known shape.
func Redact(s string) string {
	if strings.Contains(s, "://") && strings.Contains(s, "@") {
		s = userInfoPattern().ReplaceAllStringFunc(s, func(m string) string {
			sub := userInfoPattern().FindStringSubmatch(m)
			return sub[1] + maskUserInfo(sub[2]) + "@"
		})
	}
	if strings.Contains(s, "://") && strings.Contains(s, "=") {
		s = queryParamPattern().ReplaceAllStringFunc(s, func(m string) string {
			sub := queryParamPattern().FindStringSubmatch(m)
			if !secretParam(sub[2]) {
				return m
			}
			return sub[1] + sub[2] + "=" + Mask
		})
	}
	for i, sh := range shapes {
		if strings.Contains(s, sh.marker) {
			s = shapePatterns()[i].ReplaceAllLiteralString(s, Mask)
		}
	}
	return s
}

// Value returns v, a tree of maps, lists and scalars as JSON decodes it, with every
// string redacted and the value of each environment variable ({name, value}) whose name
// looks secret masked. Maps and lists are copied, so v is left as it was.
func Value(v any) any {
	switch t := v.(type) {
	case string:
		return Redact(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = Value(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = Value(e)
		}
		if name, ok := t["name"].(string); ok && SecretName(name) {
			if value, ok := t["value"].(string); ok && value != "" {
				out["value"] = Mask
			}
		}
		return out
	}
	return v
}

// SecretName reports whether a variable or parameter name says it holds a secret:
// HF_TOKEN, DB_PASSWORD, apiKey, client_secret, AWS_SECRET_ACCESS_KEY. Names of where
// a secret is (PASSWORD_FILE, SECRET_NAME, TOKEN_PATH) and counts of tokens
// (MAX_TOKENS, TOKENIZERS_PARALLELISM) are not.
func SecretName(name string) bool {
	words := Words(name)
	if len(words) == 0 {
		return false
	}
	switch words[len(words)-1] {
	case "FILE", "PATH", "DIR", "NAME", "MOUNT", "REF":
		return false
	}
	for i, w := range words {
		switch {
		case strings.Contains(w, "PASSWORD"), strings.Contains(w, "PASSWD"), strings.Contains(w, "PASSPHRASE"),
			strings.Contains(w, "SECRET"), w == "PASS", strings.HasSuffix(w, "TOKEN"),
			w == "APIKEY", w == "PRIVATEKEY", w == "ACCESSKEY":
			return true
		case w == "KEY" && i > 0:
			switch words[i-1] {
			case "API", "ACCESS", "PRIVATE", "AUTH", "ENCRYPTION", "SIGNING", "MASTER":
				return true
			}
		}
	}
	return false
}

// Words splits a name into upper-case words at '_', '-', '.', spaces and lower-to-upper
// case changes: "hfToken" and "HF_TOKEN" are both HF TOKEN.
func Words(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToUpper(string(cur)))
			cur = cur[:0]
		}
	}
	prev := rune(0)
	for _, r := range name {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return words
}
