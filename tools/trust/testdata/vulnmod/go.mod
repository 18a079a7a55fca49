module example.com/vulnmod

go 1.26.0

// x/text before v0.3.7 has GO-2021-0113 (CVE-2021-38561): language.Parse reads out of
// bounds on some inputs. This module exists to call it, so that make vuln can prove it fails.
require golang.org/x/text v0.3.6
