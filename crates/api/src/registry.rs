//! The open connections, by id and by client address: how many each address holds, and which
//! connection to close when room is needed. The one closed is the connection that has waited
//! longest for a request header: first one that has never sent a complete header (the one
//! opened earliest, as ids follow the order of opening), then a kept-alive one that has been
//! idle longest. A connection serving a request is never picked.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

use crate::conn::{Conn, Pool};

/// Which connections may make room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Those holding a slot of this pool (room for any new connection).
    Pool(Pool),
    /// Those of this client address (room under the per-client cap).
    Client(IpAddr),
}

#[derive(Default)]
pub(crate) struct Registry {
    conns: BTreeMap<u64, Arc<Conn>>,
    by_client: HashMap<IpAddr, BTreeSet<u64>>,
}

impl Registry {
    pub fn insert(&mut self, conn: Arc<Conn>) {
        self.by_client.entry(conn.client).or_default().insert(conn.id);
        self.conns.insert(conn.id, conn);
    }

    /// Forgets a connection (closed, or picked to make room); `None` if already forgotten.
    pub fn remove(&mut self, id: u64) -> Option<Arc<Conn>> {
        let conn = self.conns.remove(&id)?;
        if let Some(ids) = self.by_client.get_mut(&conn.client) {
            ids.remove(&id);
            if ids.is_empty() {
                self.by_client.remove(&conn.client);
            }
        }
        Some(conn)
    }

    /// Connections open from `client`, not counting those already picked to make room.
    pub fn of_client(&self, client: IpAddr) -> usize {
        self.by_client.get(&client).map_or(0, BTreeSet::len)
    }

    /// Removes and returns the connection in `scope` that has waited longest for a request
    /// header; `None` if every connection in scope is serving a request.
    pub fn take_victim(&mut self, scope: Scope) -> Option<Arc<Conn>> {
        let id = match scope {
            Scope::Pool(pool) => longest_waiting(self.conns.values().filter(|c| c.pool == pool)),
            Scope::Client(ip) => {
                let ids = self.by_client.get(&ip)?;
                longest_waiting(ids.iter().filter_map(|id| self.conns.get(id)))
            }
        }?;
        self.remove(id)
    }
}

/// Of `conns` in the order they were opened, the one that has waited longest for a request
/// header (see the module's description).
fn longest_waiting<'a>(conns: impl Iterator<Item = &'a Arc<Conn>>) -> Option<u64> {
    let mut idle_longest: Option<(u64, u64)> = None;
    for c in conns {
        if !c.is_idle() {
            continue;
        }
        if !c.has_served() {
            // Never sent a header, opened before every later one: none waited longer.
            return Some(c.id);
        }
        let since = c.idle_since_ms();
        if idle_longest.is_none_or(|(best, _)| since < best) {
            idle_longest = Some((since, c.id));
        }
    }
    idle_longest.map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn conn(reg: &mut Registry, id: u64, ip: &str, pool: Pool, epoch: Instant) -> Arc<Conn> {
        let c = Arc::new(Conn::new(id, epoch, ip.parse().unwrap(), pool, Duration::from_secs(1)));
        reg.insert(c.clone());
        c
    }

    #[test]
    fn the_longest_waiting_connection_makes_room() {
        let epoch = Instant::now() - Duration::from_secs(60);
        let mut reg = Registry::default();
        let a = conn(&mut reg, 1, "10.0.0.1", Pool::General, epoch);
        let b = conn(&mut reg, 2, "10.0.0.1", Pool::General, epoch);
        let c = conn(&mut reg, 3, "10.0.0.2", Pool::General, epoch);
        let d = conn(&mut reg, 4, "10.0.0.2", Pool::Reserve, epoch);
        // a is kept alive, idle since long ago; b is kept alive, idle since later; c is
        // serving a request; d is in the other pool.
        a.served_and_idle_since(1_000);
        b.served_and_idle_since(5_000);
        c.serving();
        assert_eq!(reg.of_client("10.0.0.1".parse().unwrap()), 2);
        assert_eq!(reg.of_client("10.0.0.2".parse().unwrap()), 2);

        // A later connection that never sent a header goes first, though opened last.
        let e = conn(&mut reg, 5, "10.0.0.1", Pool::General, epoch);
        assert_eq!(reg.take_victim(Scope::Pool(Pool::General)).map(|v| v.id), Some(e.id), "never served first");
        assert_eq!(reg.take_victim(Scope::Pool(Pool::General)).map(|v| v.id), Some(a.id), "then idle longest");
        assert_eq!(reg.of_client("10.0.0.1".parse().unwrap()), 1, "taken connections no longer count");
        assert_eq!(reg.take_victim(Scope::Pool(Pool::General)).map(|v| v.id), Some(b.id));
        assert!(reg.take_victim(Scope::Pool(Pool::General)).is_none(), "c serves a request: never taken");
        assert!(reg.take_victim(Scope::Client("10.0.0.1".parse().unwrap())).is_none(), "no one left");
        assert_eq!(
            reg.take_victim(Scope::Client("10.0.0.2".parse().unwrap())).map(|v| v.id),
            Some(d.id),
            "by client: any pool"
        );
        assert!(reg.remove(c.id).is_some() && reg.remove(c.id).is_none(), "removed once");
        assert_eq!(reg.of_client("10.0.0.2".parse().unwrap()), 0);
    }
}
