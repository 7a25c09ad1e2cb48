package imageref

import "strings"

// Where a registry host leads.
type HostKind int

const (
	HostCustom     HostKind = iota // anything else: registry_id and region must be given
	HostEnterprise                 // <name>.tencentcloudcr.com or <name>-vpc.tencentcloudcr.com
	HostPersonal                   // ccr.ccs.tencentyun.com and its regional siblings
)

// EnterpriseSuffix is the domain of TCR Enterprise instances.
const EnterpriseSuffix = ".tencentcloudcr.com"

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

// ClassifyHost says where host leads: for an Enterprise host, the
// instance names to look up (the exact one first: an instance may itself
// be named …-vpc); for a Personal host, its region.
func ClassifyHost(host string) (kind HostKind, names []string, region string) {
	host = strings.ToLower(host)
	if r, ok := personalRegions[host]; ok {
		return HostPersonal, nil, r
	}
	name, ok := strings.CutSuffix(host, EnterpriseSuffix)
	if !ok || name == "" || strings.Contains(name, ".") {
		return HostCustom, nil, ""
	}
	names = []string{name}
	if base, vpc := strings.CutSuffix(name, "-vpc"); vpc && base != "" {
		names = append(names, base) // the instance's private-network domain
	}
	return HostEnterprise, names, ""
}
