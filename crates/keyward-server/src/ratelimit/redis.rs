//! GCRA shared through Redis: one Lua script checks and charges every quota of a request
//! atomically, using Redis's own clock (`TIME`), so replicas with skewed clocks agree.

use super::{Decision, Quota, QuotaState};
use redis::aio::ConnectionManager;
use redis::Script;
use std::time::Duration;

/// The script: KEYS are the quota counters, ARGV pairs are (interval µs, window µs).
/// Returns `{allowed, wait_us, remaining_1, reset_1, remaining_2, reset_2, …}`.
const LUA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local allowed, wait, out, tats = 1, 0, {}, {}
for i = 1, #KEYS do
  local T = tonumber(ARGV[2 * i - 1])
  local W = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local new = tat + T
  local ahead = new - now
  local used = ahead
  if ahead > W then
    allowed = 0
    if ahead - W > wait then wait = ahead - W end
    used = ahead - T
  end
  tats[i] = new
  out[#out + 1] = math.floor((W - math.min(used, W)) / T)
  out[#out + 1] = math.ceil(used / 1000000)
end
if allowed == 1 then
  for i = 1, #KEYS do
    redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', math.ceil((tats[i] - now) / 1000) + 1)
  end
end
table.insert(out, 1, wait)
table.insert(out, 1, allowed)
return out
"#;

/// Counters in Redis.
pub struct RedisGcra {
    conn: ConnectionManager,
    script: Script,
    prefix: String,
}

impl RedisGcra {
    /// Connect to `url` (`redis://…`); keys start with `prefix`. The error never quotes the
    /// URL (it may carry a password).
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisGcra, String> {
        let client =
            redis::Client::open(url).map_err(|e| format!("invalid redis URL: {:?}", e.kind()))?;
        let conn = client
            .get_connection_manager()
            .await
            .map_err(|e| format!("cannot connect to redis: {:?}", e.kind()))?;
        Ok(RedisGcra {
            conn,
            script: Script::new(LUA),
            prefix: prefix.to_string(),
        })
    }

    /// Check and charge `key` against `quotas`.
    pub async fn check(&self, key: &str, quotas: &[Quota]) -> Result<Decision, String> {
        let mut inv = self.script.prepare_invoke();
        for q in quotas {
            inv.key(format!("{}{key}|{}", self.prefix, q.name));
            inv.arg(q.interval().as_micros().max(1) as u64);
            inv.arg(q.window.as_micros() as u64);
        }
        let mut conn = self.conn.clone();
        let out: Vec<i64> = inv
            .invoke_async(&mut conn)
            .await
            .map_err(|e| format!("redis: {:?}", e.kind()))?;
        if out.len() != 2 + 2 * quotas.len() {
            return Err("redis: unexpected script result".into());
        }
        Ok(Decision {
            allowed: out[0] == 1,
            retry_after: Duration::from_micros(out[1].max(0) as u64),
            states: quotas
                .iter()
                .enumerate()
                .map(|(i, q)| QuotaState {
                    quota: q.clone(),
                    remaining: out[2 + 2 * i].max(0) as u32,
                    reset: out[3 + 2 * i].max(0) as u64,
                })
                .collect(),
        })
    }
}
