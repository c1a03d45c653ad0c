package dev.oneloop.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

class BackendExceptionTest {

    @Test
    void anErrnoGivesItsKindAndNameWhetherNegatedOrNot() {
        BackendException reset = BackendException.ofErrno("recv", -104);
        assertThat(reset.kind()).isEqualTo(ErrorKind.CONNECTION_RESET);
        assertThat(reset.errno()).isEqualTo(104);
        assertThat(reset).hasMessage("recv failed: ECONNRESET (Connection reset by peer)");
        assertThat(BackendException.ofErrno("accept", 24).kind()).isEqualTo(ErrorKind.TOO_MANY_OPEN_FILES);
        assertThat(BackendException.ofErrno("accept", 23).kind()).isEqualTo(ErrorKind.TOO_MANY_OPEN_FILES);
        assertThat(BackendException.ofErrno("send", 32).kind()).isEqualTo(ErrorKind.BROKEN_PIPE);
        assertThat(BackendException.ofErrno("bind", 98).kind()).isEqualTo(ErrorKind.ADDRESS_IN_USE);
    }

    @Test
    void anUnknownErrnoIsOtherButKeepsItsNumber() {
        BackendException e = BackendException.ofErrno("recv", -9999);
        assertThat(e.kind()).isEqualTo(ErrorKind.OTHER);
        assertThat(e.errno()).isEqualTo(9999);
        assertThat(e).hasMessage("recv failed: errno 9999");
    }

    @Test
    void theJdksExceptionsAreRecognisedByTheirStrerrorText() {
        assertThat(BackendException.of("recv", new SocketException("Connection reset")).kind()).isEqualTo(ErrorKind.CONNECTION_RESET);
        assertThat(BackendException.of("recv", new IOException("Connection reset by peer")).errno()).isEqualTo(104);
        assertThat(BackendException.of("send", new IOException("Broken pipe")).kind()).isEqualTo(ErrorKind.BROKEN_PIPE);
        assertThat(BackendException.of("accept", new IOException("Too many open files")).errno()).isEqualTo(24);
        assertThat(BackendException.of("accept", new IOException("Too many open files in system")).errno()).isEqualTo(23);
        BackendException other = BackendException.of("recv", new IOException("something else"));
        assertThat(other.kind()).isEqualTo(ErrorKind.OTHER);
        assertThat(other.errno()).isZero();
        assertThat(other).hasMessage("recv failed: something else").hasCauseInstanceOf(IOException.class);
    }

    @Test
    void aTypedExceptionStaysAsItIs() {
        BackendException typed = BackendException.ofErrno("recv", 104);
        assertThat(BackendException.of("other", typed)).isSameAs(typed);
        assertThat(BackendException.kindOf(typed)).isEqualTo(ErrorKind.CONNECTION_RESET);
        assertThat(BackendException.kindOf(new IOException("x"))).isEqualTo(ErrorKind.OTHER);
    }

    @Test
    void outOfHandlesHasOneWordingAndNoErrno() {
        BackendException e = BackendException.outOfHandles("connection closed", 64);
        assertThat(e.kind()).isEqualTo(ErrorKind.OUT_OF_HANDLES);
        assertThat(e.errno()).isZero();
        assertThat(e).hasMessage("connection closed: all 64 handles (maxHandles) are in use");
        assertThat(e.kind().resourceExhausted()).isTrue();
        assertThat(ErrorKind.CONNECTION_RESET.peerGone()).isTrue();
    }
}
