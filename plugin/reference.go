package plugin

import (
	"errors"
	"strings"
)

// imageRef is an image reference as docker, crane or skopeo write it:
// [host/]namespace/repo[/more]:tag or …@sha256:digest.
type imageRef struct {
	host      string // "" when left out
	namespace string
	repo      string // may be nested: team/app
	ref       string // a tag or a digest
}

func (r imageRef) String() string {
	sep := ":"
	if isDigest(r.ref) {
		sep = "@"
	}
	s := r.namespace + "/" + r.repo + sep + r.ref
	if r.host != "" {
		s = r.host + "/" + s
	}
	return s
}

// parseImageRef reads a reference. As docker does, the first component is
// a host when it has a dot or a port, or is localhost. A tag or digest is
// required: a promotion names what it promotes.
func parseImageRef(s string) (imageRef, error) {
	var r imageRef
	name := s
	if at := strings.IndexByte(name, '@'); at >= 0 {
		name, r.ref = name[:at], name[at+1:]
		if !isDigest(r.ref) {
			return r, errors.New("the part after @ is not a digest (sha256: and 64 hex digits)")
		}
	} else if colon := strings.LastIndexByte(name, ':'); colon > strings.LastIndexByte(name, '/') {
		name, r.ref = name[:colon], name[colon+1:]
		if !isTag(r.ref) {
			return r, errors.New("the part after : is not " + tagWhat)
		}
	}
	if r.ref == "" {
		return r, errors.New("it names no tag (:tag) or digest (@sha256:…)")
	}
	parts := strings.Split(name, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		r.host, parts = parts[0], parts[1:]
		if !isHost(r.host) {
			return r, errors.New("its host is not a host name")
		}
	}
	if len(parts) < 2 {
		return r, errors.New("it needs a namespace and a repository: namespace/repo:tag")
	}
	r.namespace, r.repo = parts[0], strings.Join(parts[1:], "/")
	if !isNamespace(r.namespace) {
		return r, errors.New("its namespace is not " + namespaceWhat)
	}
	if !isRepo(r.repo) {
		return r, errors.New("its repository is not " + repoWhat)
	}
	return r, nil
}

// Where a registry host leads.
type hostKind int

const (
	hostCustom     hostKind = iota // anything else: registry_id and region must be given
	hostEnterprise                 // <name>.tencentcloudcr.com or <name>-vpc.tencentcloudcr.com
	hostPersonal                   // ccr.ccs.tencentyun.com and its regional siblings
)

// enterpriseSuffix is the domain of TCR Enterprise instances.
const enterpriseSuffix = ".tencentcloudcr.com"

// personalRegions maps the Personal edition's registry hosts to their
// regions, as Tencent's own TKE charts list them.
var personalRegions = map[string]string{
	"ccr.ccs.tencentyun.com":     "ap-guangzhou", // the Chinese mainland
	"hkccr.ccs.tencentyun.com":   "ap-hongkong",
	"sgccr.ccs.tencentyun.com":   "ap-singapore",
	"jpccr.ccs.tencentyun.com":   "ap-tokyo",
	"krccr.ccs.tencentyun.com":   "ap-seoul",
	"thccr.ccs.tencentyun.com":   "ap-bangkok",
	"jktccr.ccs.tencentyun.com":  "ap-jakarta",
	"inccr.ccs.tencentyun.com":   "ap-mumbai",
	"tpeccr.ccs.tencentyun.com":  "ap-taipei",
	"deccr.ccs.tencentyun.com":   "eu-frankfurt",
	"uswccr.ccs.tencentyun.com":  "na-siliconvalley",
	"useccr.ccs.tencentyun.com":  "na-ashburn",
	"caccr.ccs.tencentyun.com":   "na-toronto",
	"saoccr.ccs.tencentyun.com":  "sa-saopaulo",
	"shjrccr.ccs.tencentyun.com": "ap-shanghai-fsi",
	"bjjrccr.ccs.tencentyun.com": "ap-beijing-fsi",
	"szjrccr.ccs.tencentyun.com": "ap-shenzhen-fsi",
}

// classifyHost says where host leads: for an Enterprise host, the
// instance names to look up (the exact one first: an instance may itself
// be named …-vpc); for a Personal host, its region.
func classifyHost(host string) (kind hostKind, names []string, region string) {
	host = strings.ToLower(host)
	if r, ok := personalRegions[host]; ok {
		return hostPersonal, nil, r
	}
	name, ok := strings.CutSuffix(host, enterpriseSuffix)
	if !ok || name == "" || strings.Contains(name, ".") {
		return hostCustom, nil, ""
	}
	names = []string{name}
	if base, vpc := strings.CutSuffix(name, "-vpc"); vpc && base != "" {
		names = append(names, base) // the instance's private-network domain
	}
	return hostEnterprise, names, ""
}
