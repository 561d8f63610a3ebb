# Kraut's portal in a container that drives the host's libvirtd through its socket.
# Not built in this project's CI: no container engine or base image can be fetched there (README, "Container").
#   docker build -t kraut .
#   docker run --network host --cap-add NET_ADMIN --device /dev/kvm \
#     -v /var/run/libvirt:/var/run/libvirt -v /var/lib/kraut:/var/lib/kraut kraut
# --network host + NET_ADMIN: VXLAN links are made with `ip` in the host's network namespace.
# /dev/kvm: the KVM probe boots a kernel with QEMU to see whether KVM really works (without it: TCG).
# The data directory must be the same path on host and container: QEMU on the host opens the disk files.
# The hypervisor's own packages (libvirtd, QEMU, OVMF firmware, dnsmasq) belong on the host: scripts/setup-host.sh.

# .NET 10's images are Ubuntu-based (there is no Debian variant); the build stage only compiles. The published
# portal is self-contained, so the runtime stage is plain Debian 12, the system the README and the package lists
# (scripts/packages/) are written for.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The build runs `npm ci` for the pinned browser packages (xterm.js, noVNC): the same list setup-host.sh installs.
COPY scripts/packages/build.txt /tmp/build-packages.txt
RUN apt-get update \
 && sed -e 's/#.*//' /tmp/build-packages.txt | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/build-packages.txt
WORKDIR /src
COPY . .
RUN dotnet publish KrautPortal/KrautPortal.csproj -c Release -r linux-x64 --self-contained -o /app --nologo

FROM debian:bookworm-slim
# Exactly what setup-host.sh installs for the portal process: one list, so the two cannot drift.
COPY scripts/packages/portal.txt /tmp/portal-packages.txt
RUN apt-get update \
 && sed -e 's/#.*//' /tmp/portal-packages.txt | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/portal-packages.txt
WORKDIR /app
COPY --from=build /app .
ENV Kraut__DataDirectory=/var/lib/kraut
EXPOSE 5080
ENTRYPOINT ["/app/KrautPortal", "--urls", "http://0.0.0.0:5080"]
