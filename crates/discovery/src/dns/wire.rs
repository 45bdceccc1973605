//! The DNS wire format (RFC 1035) as far as DNS SD needs it: one question
//! out, the answer section back.
//!
//! ```text
//! header   id:16 | flags:16 (QR … TC RD … RCODE:4) | qd:16 an:16 ns:16 ar:16
//! question name (length-prefixed labels, 0) | type:16 | class:16
//! answer   name (labels or a 0b11 pointer) | type:16 | class:16 | ttl:32
//!          | rdlength:16 | rdata
//! ```
//!
//! Decoding is bounds-checked everywhere and follows at most
//! [`MAX_POINTERS`] compression pointers, so a hostile answer is an error,
//! never a panic or a loop.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::Record;

/// Record type numbers.
pub(crate) const TYPE_A: u16 = 1;
pub(crate) const TYPE_NS: u16 = 2;
pub(crate) const TYPE_MX: u16 = 15;
pub(crate) const TYPE_AAAA: u16 = 28;
pub(crate) const TYPE_SRV: u16 = 33;
const CLASS_IN: u16 = 1;
/// Compression pointers followed in one name at most.
const MAX_POINTERS: usize = 32;

/// The numeric type of a configured record type name.
pub(crate) fn qtype(name: &str) -> Option<u16> {
    Some(match name {
        "A" => TYPE_A,
        "AAAA" => TYPE_AAAA,
        "SRV" => TYPE_SRV,
        "MX" => TYPE_MX,
        "NS" => TYPE_NS,
        _ => return None,
    })
}

/// A query for `name` (fully qualified, with or without the final dot).
pub(crate) fn encode_query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(name.len() + 18);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&0x0100u16.to_be_bytes()); // recursion desired
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    encode_name(&mut out, name)?;
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

pub(crate) fn encode_name(out: &mut Vec<u8>, name: &str) -> Result<(), String> {
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        let len = u8::try_from(label.len())
            .ok()
            .filter(|l| *l < 64)
            .ok_or_else(|| format!("label {label:?} too long"))?;
        out.push(len);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

/// What an answer says.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The truncation bit: retry over TCP.
    pub(crate) truncated: bool,
    /// The response code (0 no error, 3 no such name).
    pub(crate) rcode: u8,
    /// The records of the asked type.
    pub(crate) records: Vec<Record>,
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    match b.get(at..at + 2) {
        Some(&[x, y]) => Ok(u16::from_be_bytes([x, y])),
        _ => Err("truncated message".into()),
    }
}

/// Reads the name at `at`; returns it (with a final dot) and the offset
/// after it in the original position.
fn decode_name(b: &[u8], mut at: usize) -> Result<(String, usize), String> {
    let mut name = String::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *b.get(at).ok_or("truncated name")?;
        match len >> 6 {
            0 => {
                if len == 0 {
                    if name.is_empty() {
                        name.push('.');
                    }
                    return Ok((name, end.unwrap_or(at + 1)));
                }
                let label = b
                    .get(at + 1..at + 1 + usize::from(len))
                    .ok_or("truncated label")?;
                name.push_str(&String::from_utf8_lossy(label));
                name.push('.');
                at += 1 + usize::from(len);
            }
            3 => {
                jumps += 1;
                if jumps > MAX_POINTERS {
                    return Err("too many compression pointers".into());
                }
                let ptr = usize::from(u16_at(b, at)? & 0x3fff);
                end.get_or_insert(at + 2);
                at = ptr;
            }
            _ => return Err("bad label type".into()),
        }
    }
}

/// Decodes a response to query `id`, keeping the records of type `want`.
pub(crate) fn decode_answer(b: &[u8], id: u16, want: u16) -> Result<Answer, String> {
    if u16_at(b, 0)? != id {
        return Err("answer to another query".into());
    }
    let flags = u16_at(b, 2)?;
    if flags & 0x8000 == 0 {
        return Err("not a response".into());
    }
    let mut a = Answer {
        truncated: flags & 0x0200 != 0,
        rcode: (flags & 0x000f) as u8,
        records: Vec::new(),
    };
    let qd = u16_at(b, 4)?;
    let an = u16_at(b, 6)?;
    let mut at = 12;
    for _ in 0..qd {
        at = decode_name(b, at)?.1 + 4;
    }
    for _ in 0..an {
        at = decode_name(b, at)?.1;
        let kind = u16_at(b, at)?;
        let len = usize::from(u16_at(b, at + 8)?);
        let start = at + 10;
        let rdata = b.get(start..start + len).ok_or("truncated record")?;
        at = start + len;
        if kind != want {
            // CNAMEs come along with address answers; they are not targets.
            continue;
        }
        let rec = match kind {
            TYPE_A => {
                let o: [u8; 4] = rdata.try_into().map_err(|_| "bad A record")?;
                Record::Addr(Ipv4Addr::from(o).into())
            }
            TYPE_AAAA => {
                let o: [u8; 16] = rdata.try_into().map_err(|_| "bad AAAA record")?;
                Record::Addr(Ipv6Addr::from(o).into())
            }
            TYPE_SRV => {
                let port = u16_at(b, start + 4)?;
                Record::Srv(decode_name(b, start + 6)?.0, port)
            }
            TYPE_MX => Record::Mx(decode_name(b, start + 2)?.0),
            TYPE_NS => Record::Ns(decode_name(b, start)?.0),
            _ => continue,
        };
        a.records.push(rec);
    }
    Ok(a)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A response to `query` with the given answer records (type, rdata).
    pub(crate) fn response(query: &[u8], answers: &[(u16, Vec<u8>)], flags: u16) -> Vec<u8> {
        let mut out = query.to_vec();
        out[2..4].copy_from_slice(&(0x8180u16 | flags).to_be_bytes());
        out[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
        for (kind, rdata) in answers {
            out.extend_from_slice(&[0xc0, 12]); // the question's name
            out.extend_from_slice(&kind.to_be_bytes());
            out.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            out.extend_from_slice(rdata);
        }
        out
    }

    pub(crate) fn srv_rdata(target: &str, port: u16) -> Vec<u8> {
        let mut r = vec![0, 1, 0, 1];
        r.extend_from_slice(&port.to_be_bytes());
        encode_name(&mut r, target).unwrap();
        r
    }

    #[test]
    fn round_trip_records() {
        let q = encode_query(7, "_x._tcp.example.org", TYPE_SRV).unwrap();
        let cname = {
            let mut r = Vec::new();
            encode_name(&mut r, "alias.example.org").unwrap();
            r
        };
        let resp = response(
            &q,
            &[(5, cname), (TYPE_SRV, srv_rdata("db1.example.org", 9100))],
            0,
        );
        let a = decode_answer(&resp, 7, TYPE_SRV).unwrap();
        assert_eq!(
            a.records,
            vec![Record::Srv("db1.example.org.".into(), 9100)]
        );
        assert!(decode_answer(&resp, 8, TYPE_SRV).is_err());
        let mut mx = vec![0, 10];
        encode_name(&mut mx, "mail.example.org").unwrap();
        let resp = response(&q, &[(TYPE_MX, mx)], 0);
        assert_eq!(
            decode_answer(&resp, 7, TYPE_MX).unwrap().records,
            vec![Record::Mx("mail.example.org.".into())]
        );
        let resp = response(&q, &[(TYPE_A, vec![10, 0, 0, 1])], 0);
        assert_eq!(
            decode_answer(&resp, 7, TYPE_A).unwrap().records,
            vec![Record::Addr("10.0.0.1".parse().unwrap())]
        );
    }

    #[test]
    fn hostile_input_is_an_error() {
        let q = encode_query(1, "a.b", TYPE_A).unwrap();
        let mut loop_ptr = response(&q, &[(TYPE_A, vec![1, 2, 3, 4])], 0);
        // Point the answer's name at itself.
        let at = q.len();
        loop_ptr[at..at + 2].copy_from_slice(&[0xc0, at as u8]);
        assert!(decode_answer(&loop_ptr, 1, TYPE_A).is_err());
        for cut in 0..loop_ptr.len() {
            let _ = decode_answer(&loop_ptr[..cut], 1, TYPE_A);
        }
        assert!(encode_query(1, &"x".repeat(64), TYPE_A).is_err());
    }
}
