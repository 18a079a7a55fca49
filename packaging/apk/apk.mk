# The apk packages under apk-tools itself (packaging/apk): Alpine's and OpenWrt's packages
# built and signed, published as repositories, then added, upgraded, audited and removed by
# apk-tools 3.0.6 in root directories whose /bin/sh is Debian's busybox-static, with
# stand-ins for procd, UCI and OpenRC. The aarch64 root runs its busybox through qemu-user.
APK_BUSYBOX_CACHE = $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/$(NAME_BASE)/busybox

.PHONY: test-packages-apk
test-packages-apk: apk-tools ## Alpine's and OpenWrt's apk packages installed, upgraded and removed by apk-tools 3.0.6 from signed repositories (root; arm64 through qemu)
	@[ "$$(id -u)" = 0 ] || { echo "make $@: run it as root: apk runs the packages' scripts chrooted in their roots" >&2; exit 1; }
	@$(call need,chroot,apt-get install coreutils)
	@$(call need,apt-get,a Debian system: the roots' busybox is Debian's busybox-static)
	@amd64=$$(bash packaging/apk/busybox.sh amd64 $(APK_BUSYBOX_CACHE)) && arm64=$$(bash packaging/apk/busybox.sh arm64 $(APK_BUSYBOX_CACHE)) && \
	cd packaging && APK_TOOLS='$(APK_TOOLS)' BUSYBOX_AMD64="$$amd64" BUSYBOX_ARM64="$$arm64" \
	  APK_TEST_BIN='$(abspath $(BIN_DIR))/test-packages-apk' \
	  go test -tags apktools -count=1 -v -timeout 30m ./apk/
