//! A Redis Cluster for tests: three masters and no replicas, on free ports, each in a fresh
//! temporary directory with `appendonly yes` and `appendfsync always`, so that a master killed
//! and restarted comes back with every write it acknowledged.
//!
//! [`shared_cluster`] starts one per test binary, at first use, which its tests share under
//! key prefixes of their own; a test that kills a node starts a [`RedisCluster`] of its own.
//! Everything runs through `redis-server` and `redis-cli` (Redis 7 or later: the cluster bus
//! port is chosen with `--cluster-port`, so both ports of a node are free ones).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::redis::free_port;

/// How long a cluster may take to form, or a restarted node to rejoin it.
const FORM_TIMEOUT: Duration = Duration::from_secs(30);

/// How many masters a cluster has.
const MASTERS: usize = 3;

/// A Redis Cluster of this test's own. Dropping it kills its nodes and removes their files,
/// even when the test panics.
pub struct RedisCluster {
    nodes: Vec<Node>,
    dir: PathBuf,
}

struct Node {
    port: u16,
    bus_port: u16,
    child: Option<Child>,
}

impl RedisCluster {
    /// Starts three masters, joins them into a cluster covering every slot, and waits until
    /// each of them says `cluster_state:ok`.
    ///
    /// # Panics
    /// When `redis-server` or `redis-cli` is missing, or the cluster does not form in time.
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("postern-cluster-{}", Uuid::new_v4().simple()));
        let mut cluster = Self {
            nodes: Vec::with_capacity(MASTERS),
            dir,
        };
        for _ in 0..MASTERS {
            let node = Node {
                port: free_port(),
                bus_port: free_port(),
                child: None,
            };
            cluster.nodes.push(node);
        }
        for index in 0..MASTERS {
            cluster.spawn(index);
        }
        for node in &cluster.nodes {
            wait_until(|| cli(node.port, &["ping"]).is_some_and(|r| r.trim() == "PONG"));
        }
        let addresses: Vec<String> = cluster
            .nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("running redis-cli --cluster create: {e}"));
        assert!(created.success(), "redis-cli --cluster create failed");
        cluster.wait_until_ok();
        cluster
    }

    /// `redis-cluster://127.0.0.1:{first}?node=127.0.0.1:{second}&node=…`, as `REDIS_URL`
    /// takes it.
    pub fn url(&self) -> String {
        let others: Vec<String> = self.nodes[1..]
            .iter()
            .map(|node| format!("node=127.0.0.1:{}", node.port))
            .collect();
        format!(
            "redis-cluster://127.0.0.1:{}?{}",
            self.nodes[0].port,
            others.join("&")
        )
    }

    /// The index of the master that serves `key`'s hash slot.
    ///
    /// # Panics
    /// When the cluster does not answer.
    pub fn master_of(&self, key: &str) -> usize {
        let slot: u16 = cli(self.nodes[0].port, &["cluster", "keyslot", key])
            .and_then(|answer| answer.trim().parse().ok())
            .expect("CLUSTER KEYSLOT");
        let nodes = cli(self.nodes[0].port, &["cluster", "nodes"]).expect("CLUSTER NODES");
        let port = nodes
            .lines()
            .find(|line| serves_slot(line, slot))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|address| address.split(['@', ':']).nth(1))
            .and_then(|port| port.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("no master serves slot {slot}:\n{nodes}"));
        self.nodes
            .iter()
            .position(|node| node.port == port)
            .expect("a node of this cluster")
    }

    /// Kills master `index` (SIGKILL: a crash, not a shutdown) and waits for it to exit. With
    /// no replica to take over, its slots are unavailable until it is restarted.
    pub fn kill(&mut self, index: usize) {
        if let Some(mut child) = self.nodes[index].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts master `index` again on its ports and files (its append-only file and cluster
    /// configuration), and waits until the cluster is whole again.
    ///
    /// # Panics
    /// As [`Self::start`].
    pub fn restart(&mut self, index: usize) {
        self.kill(index);
        self.spawn(index);
        self.wait_until_ok();
    }

    fn spawn(&mut self, index: usize) {
        let node = &self.nodes[index];
        let dir = self.dir.join(node.port.to_string());
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        let child = Command::new("redis-server")
            .args(["--port", &node.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
            ])
            .args(["--cluster-port", &node.bus_port.to_string()])
            .args(["--cluster-node-timeout", "2000"])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting redis-server: {e}"));
        self.nodes[index].child = Some(child);
    }

    /// Waits until every node answers and reports `cluster_state:ok` with every slot served.
    fn wait_until_ok(&self) {
        for node in &self.nodes {
            wait_until(|| {
                cli(node.port, &["cluster", "info"]).is_some_and(|info| {
                    info.contains("cluster_state:ok") && info.contains("cluster_slots_ok:16384")
                })
            });
        }
    }

    /// The nodes' process ids, for the watchdog of [`shared_cluster`].
    fn pids(&self) -> Vec<u32> {
        self.nodes
            .iter()
            .filter_map(|node| node.child.as_ref().map(Child::id))
            .collect()
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for index in 0..self.nodes.len() {
            self.kill(index);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The cluster the tests of this binary share, started at the first call. A static is never
/// dropped, so a watchdog process stops the nodes and removes their files once this process
/// has exited.
///
/// # Panics
/// As [`RedisCluster::start`].
pub fn shared_cluster() -> &'static RedisCluster {
    static SHARED: OnceLock<RedisCluster> = OnceLock::new();
    SHARED.get_or_init(|| {
        let cluster = RedisCluster::start();
        watch_over(&cluster);
        cluster
    })
}

/// Starts a watchdog that waits for this process to end, then kills the cluster's nodes and
/// removes their directory. It runs in the background of an `sh` that exits at once, so no
/// child of this process is left unwaited.
fn watch_over(cluster: &RedisCluster) {
    let pids: Vec<String> = cluster.pids().iter().map(u32::to_string).collect();
    let script = format!(
        "(while kill -0 {parent} 2>/dev/null; do sleep 1; done; kill -9 {pids} 2>/dev/null; \
         rm -rf '{dir}') >/dev/null 2>&1 &",
        parent = std::process::id(),
        pids = pids.join(" "),
        dir = cluster.dir.display(),
    );
    let started = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("starting the cluster's watchdog: {e}"));
    assert!(started.success(), "starting the cluster's watchdog failed");
}

/// Whether a line of `CLUSTER NODES` is a master serving `slot` (ranges such as `0-5460`).
fn serves_slot(line: &str, slot: u16) -> bool {
    let fields: Vec<&str> = line.split_whitespace().collect();
    fields.get(2).is_some_and(|flags| flags.contains("master"))
        && fields.iter().skip(8).any(|range| {
            let mut bounds = range.split('-').filter_map(|b| b.parse::<u16>().ok());
            match (bounds.next(), bounds.next()) {
                (Some(low), Some(high)) => (low..=high).contains(&slot),
                (Some(only), None) => only == slot,
                _ => false,
            }
        })
}

/// `redis-cli -p {port} {args…}`'s output, or `None` when the node does not answer.
fn cli(port: u16, args: &[&str]) -> Option<String> {
    let output = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.starts_with("Could not connect")).then_some(text)
}

/// Polls `done` every 50 ms until it holds, for at most [`FORM_TIMEOUT`].
fn wait_until(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + FORM_TIMEOUT;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "the Redis Cluster did not form within {FORM_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
