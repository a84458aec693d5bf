# Runs a command in the network namespace `unshare -n` made for it: loopback up, and a veth pair
# (10.99.0.1 and 10.99.0.2) for WebRTC, since libwebrtc ignores loopback interfaces. Needs root
# (or CAP_NET_ADMIN and CAP_SYS_ADMIN): `unshare -n sh support/livekit/netns.sh CMD…`.
set -e
ip link set lo up
ip link add lk0 type veth peer name lk1
ip addr add 10.99.0.1/24 dev lk0
ip addr add 10.99.0.2/24 dev lk1
ip link set lk0 up
ip link set lk1 up
exec "$@"
