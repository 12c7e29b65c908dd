package io.vifscope.control.resolve;

import java.io.IOException;
import java.io.StringReader;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Parses XML that vifscope did not write (libvirt's domain XML, and whatever else a source prints) as hostile
 * input. Domain XML needs no DTD, so any DOCTYPE is refused before a single declaration is read: that alone
 * rules out XXE (file or network entities, external DTDs, parameter entities) and entity-expansion bombs such as
 * billion laughs. The other settings are the belt to that braces (the OWASP XXE cheat sheet's list for JAXP),
 * plus caps on input size, nesting depth and name length so that a big or deep document fails fast instead of
 * eating the heap. Errors never go to stderr (the JDK parser's default handler prints them): they become one
 * {@link SourceException} whose message has its control characters escaped.
 */
public final class SafeXml {
  /** Largest document accepted, in chars: libvirt domain XML is a few KiB, so 4 MiB is generous. */
  public static final int MAX_CHARS = 4 << 20;
  /** Deepest element nesting accepted; domain XML nests about 6 levels. */
  static final int MAX_DEPTH = 64;

  private static final String FEATURE_DISALLOW_DOCTYPE = "http://apache.org/xml/features/disallow-doctype-decl";
  private static final String FEATURE_EXTERNAL_GENERAL = "http://xml.org/sax/features/external-general-entities";
  private static final String FEATURE_EXTERNAL_PARAMETER = "http://xml.org/sax/features/external-parameter-entities";
  private static final String FEATURE_LOAD_EXTERNAL_DTD =
      "http://apache.org/xml/features/nonvalidating/load-external-dtd";
  private static final String JDK_PROPERTY = "http://www.oracle.com/xml/jaxp/properties/";

  private static final DocumentBuilderFactory FACTORY = newFactory();

  private SafeXml() {}

  private static DocumentBuilderFactory newFactory() {
    // The JDK's own parser, whatever else is on the classpath: its security properties are the ones set below.
    DocumentBuilderFactory f = DocumentBuilderFactory.newDefaultInstance();
    try {
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setFeature(FEATURE_DISALLOW_DOCTYPE, true);
      f.setFeature(FEATURE_EXTERNAL_GENERAL, false);
      f.setFeature(FEATURE_EXTERNAL_PARAMETER, false);
      f.setFeature(FEATURE_LOAD_EXTERNAL_DTD, false);
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException("the JDK XML parser lacks a security feature", e);
    }
    f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
    f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
    f.setAttribute(JDK_PROPERTY + "entityExpansionLimit", "64");
    f.setAttribute(JDK_PROPERTY + "totalEntitySizeLimit", "65536");
    f.setAttribute(JDK_PROPERTY + "maxGeneralEntitySizeLimit", "4096");
    f.setAttribute(JDK_PROPERTY + "maxParameterEntitySizeLimit", "4096");
    f.setAttribute(JDK_PROPERTY + "maxElementDepth", Integer.toString(MAX_DEPTH));
    f.setAttribute(JDK_PROPERTY + "maxXMLNameLimit", "256");
    f.setAttribute(JDK_PROPERTY + "elementAttributeLimit", "256");
    f.setXIncludeAware(false);
    f.setExpandEntityReferences(false);
    f.setNamespaceAware(true);
    f.setValidating(false);
    f.setIgnoringComments(true);
    f.setCoalescing(true);
    return f;
  }

  private static final ErrorHandler THROWING = new ErrorHandler() {
    @Override
    public void warning(SAXParseException e) {
      // not an error; nothing to print
    }

    @Override
    public void error(SAXParseException e) throws SAXException {
      throw e;
    }

    @Override
    public void fatalError(SAXParseException e) throws SAXException {
      throw e;
    }
  };

  /**
   * Parses {@code xml}; anything that is not a well-formed document within the caps, or that has a DOCTYPE, is a
   * {@link SourceException}. Nothing is ever read from disk or network.
   */
  public static Document parse(String xml) throws SourceException {
    if (xml == null || xml.isEmpty()) {
      throw new SourceException("empty XML document");
    }
    if (xml.length() > MAX_CHARS) {
      throw new SourceException("XML document of " + xml.length() + " chars is over the " + MAX_CHARS + " cap");
    }
    DocumentBuilder builder;
    try {
      synchronized (FACTORY) { // a factory is not promised to be thread-safe; a builder is per call
        builder = FACTORY.newDocumentBuilder();
      }
    } catch (ParserConfigurationException e) {
      throw new SourceException("cannot configure the XML parser", e);
    }
    builder.setErrorHandler(THROWING);
    // Never reached while DOCTYPEs are refused; if that ever changed, nothing external would load anyway.
    builder.setEntityResolver((publicId, systemId) -> {
      throw new SAXException("external entity refused: " + systemId);
    });
    try {
      return builder.parse(new InputSource(new StringReader(xml)));
    } catch (SAXParseException e) {
      throw new SourceException("malformed XML at line " + e.getLineNumber() + ", column " + e.getColumnNumber()
          + ": " + Names.clean(e.getMessage()));
    } catch (SAXException e) {
      throw new SourceException("malformed XML: " + Names.clean(e.getMessage()));
    } catch (IOException | RuntimeException e) {
      // RuntimeException: the parser's own bugs on odd input must not escape as a crash.
      throw new SourceException("unreadable XML: " + Names.clean(String.valueOf(e.getMessage())));
    }
  }
}
