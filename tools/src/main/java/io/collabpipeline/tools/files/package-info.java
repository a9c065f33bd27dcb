/** Local file trees the command-line tools create for their own work and remove when done. */
package io.collabpipeline.tools.files;
