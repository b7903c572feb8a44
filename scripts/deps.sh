# Sourced by main.sh and test.sh: installs the build tools a fresh Debian machine lacks.
# librdkafka is built from source by the rdkafka crate, with cmake, a C/C++ compiler and
# OpenSSL / zlib headers.
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v cc >/dev/null || need+=(build-essential)
command -v c++ >/dev/null || need+=(g++)
command -v pkg-config >/dev/null || need+=(pkg-config)
pkg-config --exists openssl 2>/dev/null || need+=(libssl-dev)
[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
command -v python3 >/dev/null || need+=(python3 python3-pip)
# The Kafka tests compare with kcat (Debian's links librdkafka 2.0.2; it talks to the mock cluster).
command -v kcat >/dev/null || need+=(kcat)
# The status page test loads the control endpoint's page in headless Chromium.
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || need+=(chromium)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing ${need[*]}" >&2
  sudo_=""
  [ "$(id -u)" -ne 0 ] && sudo_="sudo"
  $sudo_ apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -q "${need[@]}" >/dev/null
fi
