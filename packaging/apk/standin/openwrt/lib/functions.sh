# shellcheck shell=sh
# Stand-in for OpenWrt's /lib/functions.sh (its base-files package), in the OpenWrt roots of
# make test-packages-apk: the functions the OpenWrt packages' scripts and procd init script
# call, behaving as OpenWrt's do, written here (OpenWrt's own file is not on these machines).
# UCI is read by sourcing /etc/config/NAME, whose config and option lines are shell words.
# Paths are under $IPKG_INSTROOT, empty on a device; apk sets root and pkgname.

config() { CONFIG_SECTION=$2; }
option() {
	_name=$1
	shift
	eval "CONFIG_${CONFIG_SECTION}_${_name}=\$*"
}
list() { :; }

# config_load NAME: on a device only, as OpenWrt's (an image build has no UCI to ask).
config_load() {
	[ -z "$IPKG_INSTROOT" ] || return 0
	# shellcheck source=/dev/null
	[ ! -f "/etc/config/$1" ] || . "/etc/config/$1"
}

# config_get VAR SECTION OPTION [DEFAULT]
config_get() { eval "$1=\${CONFIG_${2}_${3}:-\$4}"; }

# config_get_bool VAR SECTION OPTION [DEFAULT]: 1 or 0 from UCI's spellings of a boolean.
config_get_bool() {
	config_get _bool "$2" "$3" "$4"
	case $_bool in
	1 | on | true | yes | enabled) _bool=1 ;;
	0 | off | false | no | disabled) _bool=0 ;;
	*) _bool=$4 ;;
	esac
	eval "$1=\$_bool"
}

user_exists() { grep -qs "^$1:" "$IPKG_INSTROOT/etc/passwd"; }
group_exists() { grep -qs "^$1:" "$IPKG_INSTROOT/etc/group"; }

group_add() {
	[ -f "$IPKG_INSTROOT/etc/group" ] || return 1
	echo "$1:x:$2:" >>"$IPKG_INSTROOT/etc/group"
}

# group_add_next NAME: the group's id, made from 32768 up when it does not exist.
group_add_next() {
	_gid=$(grep -s "^$1:" "$IPKG_INSTROOT/etc/group" | cut -d: -f3)
	if [ -z "$_gid" ]; then
		_gid=32768
		while cut -d: -f3 "$IPKG_INSTROOT/etc/group" | grep -qx "$_gid"; do _gid=$((_gid + 1)); done
		group_add "$1" "$_gid"
	fi
	echo "$_gid"
}

# group_add_user GROUP USER: USER a member of GROUP.
group_add_user() {
	_line=$(grep -s "^$1:" "$IPKG_INSTROOT/etc/group")
	case ",${_line##*:}," in *",$2,"*) return 0 ;; esac
	_sep=,
	[ -n "${_line##*:}" ] || _sep=
	sed -i "s/^$_line\$/$_line$_sep$2/" "$IPKG_INSTROOT/etc/group"
}

# user_add NAME [UID] [GID] [COMMENT] [HOME] [SHELL]: a free id from 32768 up by default.
user_add() {
	_uid=$2
	if [ -z "$_uid" ]; then
		_uid=32768
		while cut -d: -f3 "$IPKG_INSTROOT/etc/passwd" | grep -qx "$_uid"; do _uid=$((_uid + 1)); done
	fi
	[ -f "$IPKG_INSTROOT/etc/passwd" ] || return 1
	echo "$1:x:$_uid:${3:-$_uid}:${4:-$1}:${5:-/var/run/$1}:${6:-/bin/false}" >>"$IPKG_INSTROOT/etc/passwd"
	echo "$1:x:0:0:99999:7:::" >>"$IPKG_INSTROOT/etc/shadow"
}

# add_group_and_user: the users and groups the package's .rusers names, user[=uid]:group[=gid]
# (the package's script sets root and pkgname).
# shellcheck disable=SC2154
add_group_and_user() {
	_rusers="$root/lib/apk/packages/$pkgname.rusers"
	[ -f "$_rusers" ] || return 0
	tr ' ' '\n' <"$_rusers" | while read -r _tuple; do
		_user=${_tuple%%:*}
		_group=${_tuple#*:}
		_group=${_group%%:*}
		_uname=${_user%%=*}
		_gname=${_group%%=*}
		_gid=
		if [ -n "$_gname" ] && [ "$_group" != "$_gname" ]; then
			_gid=${_group#*=}
			group_exists "$_gname" || group_add "$_gname" "$_gid"
		elif [ -n "$_gname" ]; then
			_gid=$(group_add_next "$_gname")
		fi
		_uid=
		[ "$_user" = "$_uname" ] || _uid=${_user#*=}
		user_exists "$_uname" || user_add "$_uname" "$_uid" "$_gid"
		[ -z "$_gname" ] || group_add_user "$_gname" "$_uname"
	done
}

# _default ACTION THEN: what default_postinst and default_prerm do to each init script the
# package installs: ACTION (enable, disable) unless it is an upgrade, then THEN (start,
# stop); in an image being built (IPKG_INSTROOT), ACTION alone, there.
_default() {
	grep -s "^/etc/init.d/" "$IPKG_INSTROOT/lib/apk/packages/$pkgname.list" | while read -r _init; do
		if [ -n "$IPKG_INSTROOT" ]; then
			/bin/sh "$IPKG_INSTROOT/etc/rc.common" "$IPKG_INSTROOT$_init" "$1"
			continue
		fi
		[ "$PKG_UPGRADE" = 1 ] || "$_init" "$1"
		"$_init" "$2"
	done
	return 0
}
default_postinst() { _default enable start; }
default_prerm() { _default disable stop; }
