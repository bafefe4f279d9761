locals {
  node_tag = coalesce(var.node_tag, "${var.name}-node")

  # Where GCE's health checkers probe from (legacy HTTP health checks of the
  # network load balancers the CCM builds, and any other GCE health check).
  health_check_ranges = ["35.191.0.0/16", "130.211.0.0/22", "209.85.152.0/22", "209.85.204.0/22"]
}

# A custom-mode VPC: the subnet below is the only one, and pod ranges are
# reached through the CCM's per-node routes, not through subnets.
resource "google_compute_network" "cluster" {
  name                    = "${var.name}-net"
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"
}

resource "google_compute_subnetwork" "nodes" {
  name          = "${var.name}-nodes"
  region        = var.region
  network       = google_compute_network.cluster.id
  ip_cidr_range = var.subnet_cidr
}

# Node to node, pod to pod and pod to node: every protocol between the
# subnet and the pod range. Routes deliver pod traffic; this admits it.
resource "google_compute_firewall" "internal" {
  name          = "${var.name}-internal"
  network       = google_compute_network.cluster.id
  description   = "Cluster-internal traffic: nodes and pods of ${var.name}."
  direction     = "INGRESS"
  source_ranges = [var.subnet_cidr, var.cluster_cidr]
  target_tags   = [local.node_tag]

  allow {
    protocol = "tcp"
  }
  allow {
    protocol = "udp"
  }
  allow {
    protocol = "icmp"
  }
}

# GCE health checkers to the nodes: kube-proxy's health port (10256, the
# shared node check of externalTrafficPolicy: Cluster) and the node-port range
# (health-check node ports of externalTrafficPolicy: Local). The CCM also
# creates its own narrower rule per load balancer.
resource "google_compute_firewall" "health_checks" {
  name          = "${var.name}-health-checks"
  network       = google_compute_network.cluster.id
  description   = "GCE health-check probes to the nodes of ${var.name}."
  direction     = "INGRESS"
  source_ranges = local.health_check_ranges
  target_tags   = [local.node_tag]

  allow {
    protocol = "tcp"
    ports    = ["10256", "30000-32767"]
  }
}

resource "google_compute_firewall" "ssh" {
  count         = length(var.ssh_source_ranges) > 0 ? 1 : 0
  name          = "${var.name}-ssh"
  network       = google_compute_network.cluster.id
  description   = "SSH to the VMs of ${var.name}."
  direction     = "INGRESS"
  source_ranges = var.ssh_source_ranges
  target_tags   = [local.node_tag]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
}
