# Kraut's portal in a container that drives the host's libvirtd through its socket.
# Not built in this project's CI (no Docker engine there); kept short and honest.
#   docker build -t kraut .
#   docker run --network host -v /var/run/libvirt:/var/run/libvirt -v /var/lib/kraut:/var/lib/kraut kraut
# The data directory must be the same path on host and container: QEMU on the host opens the disk files.
FROM mcr.microsoft.com/dotnet/sdk:10.0-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN dotnet publish KrautPortal/KrautPortal.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libvirt0 qemu-utils \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENV Kraut__DataDirectory=/var/lib/kraut
EXPOSE 5080
ENTRYPOINT ["dotnet", "KrautPortal.dll", "--urls", "http://0.0.0.0:5080"]
