# The .deb's life under systemd as PID 1 (packaging/systemd): Debian bookworm roots built
# with debootstrap (rootfs.sh), kept as local Docker images named by architecture; the
# foreign one runs through qemu-user registered with binfmt_misc.
SYSTEMD_IMAGE ?= $(NAME_BASE)-test/bookworm-systemd

.PHONY: test-packages-systemd
test-packages-systemd: ## Install the .deb into Debian with systemd as PID 1 (amd64, arm64 under qemu): start, stop, socket, upgrade, purge
	@$(call need-docker)
	@$(call need,debootstrap,apt-get install debootstrap)
	@for arch in amd64 arm64; do \
	  $(DOCKER) image inspect $(SYSTEMD_IMAGE):$$arch >/dev/null 2>&1 || \
	    DOCKER=$(DOCKER) bash packaging/systemd/rootfs.sh $$arch $(SYSTEMD_IMAGE):$$arch || exit 1; \
	done
	cd packaging && DOCKER=$(DOCKER) SYSTEMD_IMAGE=$(SYSTEMD_IMAGE) go test -tags systemd -count=1 -v -timeout 30m ./systemd/
