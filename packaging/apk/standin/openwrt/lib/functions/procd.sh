# shellcheck shell=sh
# Stand-in for OpenWrt's /lib/functions/procd.sh and for procd itself, which the real one
# asks over ubus, in the OpenWrt roots of make test-packages-apk. The init script's
# description of its instance is kept as text in /var/run/procd/<service>, a file it lists
# by its path and MD5, as procd compares them. Given a description, procd starts a service
# it does not run, restarts one whose description changed, and leaves one alone otherwise:
# each decision is a line of /var/log/procd.log. Nothing is run: the program is checked
# to be executable and its user to exist, as procd needs them.

_procd_add() {
	_procd_desc="$_procd_desc$*
"
}

procd_open_service() { _procd_service=$1 _procd_desc=; }
procd_open_instance() { _procd_add "instance ${1:-instance1}"; }
procd_close_instance() { :; }
procd_add_reload_trigger() { _procd_add "reload_trigger $*"; }
procd_append_param() { procd_set_param "$@"; }

procd_set_param() {
	_param=$1
	shift
	if [ "$_param" != file ]; then
		_procd_add "$_param $*"
		return
	fi
	for _file in "$@"; do
		_procd_add "file $_file $(md5sum <"$_file" 2>/dev/null | cut -d' ' -f1)"
	done
}

procd_close_service() {
	service_triggers
	_state=/var/run/procd/$_procd_service
	_log=/var/log/procd.log
	_command=$(printf '%s' "$_procd_desc" | sed -n 's/^command \([^ ]*\).*/\1/p')
	_user=$(printf '%s' "$_procd_desc" | sed -n 's/^user //p')
	if [ -n "$_command" ] && [ ! -x "$_command" ]; then
		echo "fail $_procd_service: $_command is not executable" >>"$_log"
		return 1
	fi
	if [ -n "$_user" ] && ! grep -q "^$_user:" /etc/passwd; then
		echo "fail $_procd_service: no user $_user" >>"$_log"
		return 1
	fi
	if [ ! -f "$_state" ]; then
		_verb=start
	elif [ "$(cat "$_state")" = "$(printf '%s' "$_procd_desc")" ]; then
		_verb=unchanged
	else
		_verb=restart
	fi
	printf '%s' "$_procd_desc" >"$_state"
	echo "$_verb $_procd_service" >>"$_log"
}

procd_kill() {
	[ -f "/var/run/procd/$1" ] || return 0
	rm -f "/var/run/procd/$1"
	echo "stop $1" >>/var/log/procd.log
}
