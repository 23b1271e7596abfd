//! The WebSocket a connection reads and writes: the transport's stream on
//! the upgraded HTTP connection, sending any message larger than
//! [`PIECE_BYTES`] as a fragmented message of pieces no larger than that.
//!
//! Why pieces: the WebSocket layer copies every frame it sends into a write
//! buffer that keeps, for the connection's life, the capacity of the largest
//! frame it ever held. A room's welcome (the roster of a class: about 5 KiB
//! for 50 students) would leave that much behind in every idle connection
//! (measured in benches/README.md, "Idle connections"). Sent in pieces, it
//! leaves at most what the layer holds before it writes out. Clients see one
//! message either way: reassembling fragments is every WebSocket client's
//! job (RFC 6455, section 5.4).

use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_util::{Sink, Stream};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::{Error, Message};

/// The upgraded connection as the WebSocket layer wraps it.
pub type WebSocket = WebSocketStream<TokioIo<Upgraded>>;

/// The largest frame sent whole; a longer binary message goes in pieces of
/// this size. Equal to the write buffer's size (`http/ws.rs`), so a piece is
/// written out as soon as it is buffered and never grows the buffer past it.
pub const PIECE_BYTES: usize = 1024;

/// An accepted WebSocket (see the module doc). `S` is the upgraded
/// connection; tests use an in-memory pipe.
pub struct Socket<S = TokioIo<Upgraded>> {
    inner: WebSocketStream<S>,
    /// What is left to send of a message being sent in pieces: it goes out
    /// before anything else is accepted.
    rest: Option<Bytes>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Socket<S> {
    pub fn new(inner: WebSocketStream<S>) -> Self {
        Socket { inner, rest: None }
    }

    /// Hands the remaining pieces of a message to the transport, as far as
    /// it takes them without waiting.
    fn poll_rest(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        while let Some(rest) = &mut self.rest {
            ready!(Pin::new(&mut self.inner).poll_ready(cx))?;
            let piece = rest.split_to(rest.len().min(PIECE_BYTES));
            let last = rest.is_empty();
            if last {
                self.rest = None;
            }
            let frame = Frame::message(piece, OpCode::Data(Data::Continue), last);
            Pin::new(&mut self.inner).start_send(Message::Frame(frame))?;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for Socket<S> {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for Socket<S> {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready!(self.poll_rest(cx))?;
        Pin::new(&mut self.inner).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        match message {
            Message::Binary(mut bytes) if bytes.len() > PIECE_BYTES => {
                let first = bytes.split_to(PIECE_BYTES);
                self.rest = Some(bytes);
                let frame = Frame::message(first, OpCode::Data(Data::Binary), false);
                Pin::new(&mut self.inner).start_send(Message::Frame(frame))
            }
            message => Pin::new(&mut self.inner).start_send(message),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready!(self.poll_rest(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready!(self.poll_rest(cx))?;
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
    use tokio_tungstenite::WebSocketStream;
    use tungstenite::protocol::{Role, WebSocketConfig};
    use tungstenite::Message;

    use super::{Socket, PIECE_BYTES};

    async fn server_socket(io: DuplexStream) -> Socket<DuplexStream> {
        let config = WebSocketConfig::default().write_buffer_size(PIECE_BYTES);
        Socket::new(WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await)
    }

    /// The frames' (FIN, opcode, payload length) as they cross the wire.
    /// Server frames are unmasked, and these are under 64 KiB.
    fn frames(mut wire: &[u8]) -> Vec<(bool, u8, usize)> {
        let mut frames = Vec::new();
        while wire.len() >= 2 {
            let (fin, opcode) = (wire[0] & 0x80 != 0, wire[0] & 0x0f);
            let (len, header) = match wire[1] & 0x7f {
                126 => (usize::from(u16::from_be_bytes([wire[2], wire[3]])), 4),
                len => (usize::from(len), 2),
            };
            frames.push((fin, opcode, len));
            wire = &wire[header + len..];
        }
        frames
    }

    fn payload(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[tokio::test]
    async fn a_message_over_the_piece_size_crosses_in_pieces_and_arrives_whole() {
        let (server, mut wire) = tokio::io::duplex(64 * 1024);
        let mut socket = server_socket(server).await;
        let big = payload(4 * PIECE_BYTES + 881);
        socket.send(Message::Binary(big.clone().into())).await.expect("sent");
        socket.send(Message::Binary(payload(PIECE_BYTES).into())).await.expect("sent");
        drop(socket);
        let mut bytes = Vec::new();
        wire.read_to_end(&mut bytes).await.expect("read");

        let binary = 0x2;
        let continuation = 0x0;
        let pieces = [(false, binary, PIECE_BYTES)]
            .into_iter()
            .chain([(false, continuation, PIECE_BYTES); 3])
            .chain([(true, continuation, 881), (true, binary, PIECE_BYTES)]);
        assert_eq!(frames(&bytes), pieces.collect::<Vec<_>>());

        let (client, mut replay) = tokio::io::duplex(64 * 1024);
        replay.write_all(&bytes).await.expect("replayed");
        let mut client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        let whole = client.next().await.expect("a message").expect("valid");
        assert_eq!(whole, Message::Binary(big.into()), "the client reassembles the pieces");
    }

    #[tokio::test]
    async fn pieces_are_not_interleaved_with_the_next_message() {
        let (server, mut wire) = tokio::io::duplex(64 * 1024);
        let mut socket = server_socket(server).await;
        // Fed without a flush in between, as a batch is.
        socket.feed(Message::Binary(payload(2 * PIECE_BYTES + 1).into())).await.expect("fed");
        socket.feed(Message::Binary(payload(3).into())).await.expect("fed");
        socket.feed(Message::Ping(Default::default())).await.expect("fed");
        socket.flush().await.expect("flushed");
        drop(socket);
        let mut bytes = Vec::new();
        wire.read_to_end(&mut bytes).await.expect("read");
        let (binary, continuation, ping) = (0x2, 0x0, 0x9);
        assert_eq!(
            frames(&bytes),
            [
                (false, binary, PIECE_BYTES),
                (false, continuation, PIECE_BYTES),
                (true, continuation, 1),
                (true, binary, 3),
                (true, ping, 0),
            ]
        );
    }
}
